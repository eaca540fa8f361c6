import uuid

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedJSONField


class Channel(models.Model):
    """A configured inbox: a provider kind, its settings and its encrypted credentials."""

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        OK = "ok", _("Connected")
        ERROR = "error", _("Failing")
        NEEDS_RECONNECT = "needs_reconnect", _("Reconnect needed")

    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")
        MANUAL = "manual", _("Manual only")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNCHECKED)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    assignment_strategy = models.CharField(
        _("assignment"), max_length=20, choices=Assignment.choices, default=Assignment.ROUND_ROBIN
    )
    assignment_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assign within team"),
    )
    sticky_assignment = models.BooleanField(
        _("sticky assignment"), default=True, help_text=_("A returning contact goes back to their last agent.")
    )
    round_robin_last_user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self):
        return self.name

    @property
    def webhook_url(self) -> str:
        return f"{django_settings.PUBLIC_BASE_URL}/webhooks/{self.kind}/{self.uuid}/"

    @property
    def medium(self) -> str:
        from channels_app.registry import adapter_class

        return adapter_class(self.kind).medium


def inbound_body_path(instance, filename):
    return f"inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"


class InboundEvent(models.Model):
    """A verified webhook (or fetched mail), stored raw before any processing: never lost.

    `endpoint` names where it arrived (`channel:<uuid>` or an app-level route) so duplicates
    delivered by the provider collapse on (endpoint, dedupe_key).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="inbound_events")
    kind = models.CharField(max_length=32)
    endpoint = models.CharField(max_length=80)
    dedupe_key = models.CharField(max_length=200)
    body = models.BinaryField()
    # Large bodies (a mail with attachments) live in file storage; `body` is then empty.
    body_file = models.FileField(upload_to=inbound_body_path, max_length=255, null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "dedupe_key"], name="inbound_event_dedupe")]
        indexes = [
            # The drain query only ever looks at unfinished rows; keep that index tiny.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="inbound_event_due_idx",
                condition=models.Q(status__in=["pending", "processing"]),
            ),
            models.Index(fields=["channel", "-received_at"], name="inbound_event_channel_idx"),
        ]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")

    def __str__(self):
        return f"{self.kind} {self.dedupe_key} ({self.status})"

    def raw_body(self) -> bytes:
        if self.body_file:
            with self.body_file.open("rb") as handle:
                return handle.read()
        return bytes(self.body)


class PendingStatus(models.Model):
    """A delivery status that arrived before the send call that it belongs to had returned (the
    provider id was not yet stored). Applied as soon as the send records that id."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    provider_message_id = models.CharField(max_length=255)
    state = models.CharField(max_length=12)
    error = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "provider_message_id"], name="pending_status_lookup_idx")]

    def __str__(self):
        return f"{self.provider_message_id} → {self.state}"
