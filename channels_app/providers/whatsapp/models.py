import uuid

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedJSONField


class MetaApp(models.Model):
    """A Meta (Facebook) app whose one webhook URL serves many WhatsApp numbers.

    Meta configures one callback URL and one verify token per app, and signs every delivery with
    the app's secret. Channels that name this record share them: deliveries to the app-level URL
    are verified with `app_secret` before anything is read, then routed to the channel whose
    phone number id they carry. Credentials (`app_secret`, `verify_token`) are encrypted.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    app_id = models.CharField(_("Meta app id"), max_length=64, blank=True)
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Meta app")
        verbose_name_plural = _("Meta apps")

    def __str__(self):
        return self.name

    @property
    def webhook_url(self) -> str:
        return f"{django_settings.PUBLIC_BASE_URL}/webhooks/whatsapp/app/{self.uuid}/"

    @property
    def endpoint(self) -> str:
        """InboundEvent.endpoint of deliveries to this app's URL (duplicates collapse per endpoint)."""
        return f"whatsapp-app:{self.uuid}"


class MessageTemplate(models.Model):
    """A message template of a WhatsApp Business Account, as last synced from Meta.

    Templates belong to the WABA, not to one phone number: every channel of that WABA offers
    them. Only APPROVED templates can be sent; the others stay listed as unavailable so agents
    understand why a familiar template disappeared from the picker.
    """

    class Status(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        PENDING = "PENDING", _("Pending review")
        REJECTED = "REJECTED", _("Rejected")
        PAUSED = "PAUSED", _("Paused")
        DISABLED = "DISABLED", _("Disabled")
        IN_APPEAL = "IN_APPEAL", _("In appeal")
        PENDING_DELETION = "PENDING_DELETION", _("Pending deletion")
        DELETED = "DELETED", _("Deleted")
        LIMIT_EXCEEDED = "LIMIT_EXCEEDED", _("Limit exceeded")
        ARCHIVED = "ARCHIVED", _("Archived")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    waba_id = models.CharField(_("WhatsApp Business Account id"), max_length=64)
    meta_id = models.CharField(_("Meta template id"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=16)
    category = models.CharField(_("category"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=20)
    parameter_format = models.CharField(max_length=16, blank=True)  # POSITIONAL or NAMED
    components = models.JSONField(_("components"), default=list, blank=True)
    rejected_reason = models.CharField(max_length=255, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["waba_id", "name", "language"], name="wa_template_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"

    @property
    def status_label(self) -> str:
        return str(dict(self.Status.choices).get(self.status, self.status))

    @property
    def is_sendable(self) -> bool:
        return self.status == self.Status.APPROVED
