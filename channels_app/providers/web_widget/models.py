import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def upload_path(instance, filename):
    return f"widget-uploads/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename[-100:]}"


class VisitorUpload(models.Model):
    """A file a visitor uploaded, checked by content, waiting to be attached to their message.

    The message itself travels through the inbound pipeline as a small JSON event; the pipeline
    fetches the file from here (WebWidgetAdapter.fetch_attachment). Pruned after two days."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(max_length=255, help_text=_("The visitor's address on the channel."))
    file = models.FileField(upload_to=upload_path, max_length=255)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("visitor upload")
        verbose_name_plural = _("visitor uploads")

    def __str__(self):
        return self.name


class BotState(models.Model):
    """Where the widget's bot stands in one conversation."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="widget_bot_state"
    )
    node = models.CharField(max_length=64, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # The visitor message whose processing decided the hand-off: the inbound pipeline routes the
    # conversation to the assignment rules right after that message (see the adapter).
    handoff_message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    awaiting_email = models.BooleanField(default=False)
    away_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bot state")
        verbose_name_plural = _("bot states")

    def __str__(self):
        return f"bot state of conversation {self.conversation_id}"
