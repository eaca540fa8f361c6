import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.identities import PHONE_MEDIA, display_phone


class Contact(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, help_text=_("E.164, e.g. +5511987654321"))
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["-updated_at", "-id"], name="contact_recent_idx")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone or str(_("Unknown contact"))


class ContactIdentity(models.Model):
    """One address of a contact on a medium (not on a provider): every SMS provider and voice
    share `phone`; Meta page-scoped ids are qualified by the page, as `<page id>:<user id>`."""

    class Medium(models.TextChoices):
        PHONE = "phone", _("Phone")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("E-mail")
        MESSENGER = "messenger", _("Messenger")
        INSTAGRAM = "instagram", _("Instagram")
        WEB = "web", _("Web chat")
        API = "api", _("API")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    medium = models.CharField(max_length=16, choices=Medium.choices)
    address = models.CharField(max_length=255, help_text=_("Normalised: E.164 for phones, lower-case e-mail."))
    # The address exactly as the provider spells it, for sending (e.g. a WhatsApp wa_id without
    # the Brazilian ninth digit, when that is what Meta uses for this person).
    provider_address = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["medium", "address"], name="identity_medium_address_unique")]
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")

    def __str__(self):
        return f"{self.medium}:{self.address}"

    @property
    def display_address(self) -> str:
        """Page- or channel-qualified ids (`<page>:<user>`) read better without the qualifier."""
        qualified = (self.Medium.API, self.Medium.MESSENGER, self.Medium.INSTAGRAM, self.Medium.WEB)
        if self.medium in qualified and ":" in self.address:
            return self.address.split(":", 1)[1]
        if self.medium in PHONE_MEDIA:
            return display_phone(self.address)
        return self.address

    @property
    def send_address(self) -> str:
        return self.provider_address or self.address
