import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db

validate_hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #2f6feb."), code="colour")

# The longest message an agent can write (the composer's limit); canned responses share it.
MESSAGE_MAX_LENGTH = 10_000

LABEL_NAME_TAKEN = _("A label with this name already exists (names are compared ignoring case).")
SHORTCUT_TAKEN = _("A canned response with this shortcut already exists (shortcuts ignore case).")


class Label(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#2f6feb")
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="label_name_ci_unique", violation_error_message=LABEL_NAME_TAKEN
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # Checked here rather than as a field validator (which would need a migration): every
        # model form (console settings, admin site) runs it. The inbox paints labels with it.
        errors = {}
        try:
            validate_hex_colour(self.color)
        except ValidationError as exc:
            errors["color"] = exc.messages
        if db.taken_ignoring_case(self, "name"):  # label_name_ci_unique, said beside the field
            errors["name"] = ValidationError(LABEL_NAME_TAKEN, code="unique")
        if errors:
            raise ValidationError(errors)


class CannedResponse(models.Model):
    """A saved reply an agent inserts by typing `/shortcut` in the composer."""

    # Stored lowercased (save() and clean()): the composer lowercases what the agent types.
    shortcut = models.SlugField(_("shortcut"), max_length=50, unique=True)
    content = models.TextField(
        _("content"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("WhatsApp allows 4,096 characters per message; a longer reply cannot be sent there."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self):
        return f"/{self.shortcut}"

    def save(self, *args, **kwargs):
        self.shortcut = (self.shortcut or "").strip().lower()
        super().save(*args, **kwargs)

    def clean(self):
        self.shortcut = (self.shortcut or "").strip().lower()
        if db.taken_ignoring_case(self, "shortcut"):
            raise ValidationError({"shortcut": ValidationError(SHORTCUT_TAKEN, code="unique")})


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations", verbose_name=_("labels"))
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Denormalised for the inbox list: one row per conversation, no per-row queries.
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_message_preview = models.CharField(max_length=160, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)  # customer-service windows
    unread_count = models.PositiveIntegerField(default=0)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Oldest customer message not yet answered by an agent.")
    )
    first_reply_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # Inbox views: by channel/status, by assignee, all — newest activity first, keyset on id.
            models.Index(fields=["channel", "status", "-last_activity_at", "-id"], name="conv_channel_status_idx"),
            models.Index(fields=["assignee", "status", "-last_activity_at", "-id"], name="conv_assignee_status_idx"),
            models.Index(fields=["status", "-last_activity_at", "-id"], name="conv_status_idx"),
            models.Index(fields=["contact", "channel", "-last_activity_at"], name="conv_contact_idx"),
            models.Index(fields=["-updated_at", "-id"], name="conv_updated_idx"),
        ]

    def __str__(self):
        return f"{self.contact} · {self.channel}"


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("Incoming")
        OUTBOUND = "out", _("Outgoing")

    class SenderType(models.TextChoices):
        CONTACT = "contact", _("Contact")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        NOTE = "note", _("Private note")
        LOGGED = "logged", _("Logged")  # system events in the timeline: never sent

    class ContentType(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")
        STICKER = "sticker", _("Sticker")
        LOCATION = "location", _("Location")
        CONTACTS = "contacts", _("Contact card")
        INTERACTIVE = "interactive", _("Interactive")
        TEMPLATE = "template", _("Template")
        REACTION = "reaction", _("Reaction")
        EMAIL = "email", _("E-mail")
        ACTIVITY = "activity", _("Activity")
        UNSUPPORTED = "unsupported", _("Unsupported")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender_type = models.CharField(max_length=10, choices=SenderType.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.TextField(blank=True)
    content_type = models.CharField(max_length=16, choices=ContentType.choices, default=ContentType.TEXT)
    payload = models.JSONField(default=dict, blank=True)  # structured content: location, buttons, template
    private = models.BooleanField(default=False)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider_message_id = models.CharField(max_length=255, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices)
    error_reason = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    send_series = models.PositiveIntegerField(default=0)  # bumped by an agent's explicit retry
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # The domain dedupe: a provider's retry of a message we already have is a no-op.
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_provider_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_timeline_idx"),
            models.Index(
                fields=["status", "next_attempt_at"],
                name="message_outbox_idx",
                condition=Q(status__in=["queued", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.uuid}"

    @property
    def is_outbound_deliverable(self) -> bool:
        return self.direction == self.Direction.OUTBOUND and not self.private and self.status != self.Status.LOGGED


def attachment_path(instance, filename):
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename[-100:]}"


class Attachment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=127, default="application/octet-stream")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
