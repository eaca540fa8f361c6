"""Output shapes of conversations and messages in the public API (shared by several endpoints).

Ids are UUIDs; `channel` is the medium (`whatsapp`, `sms`, ...) and `channel_id` the configured
channel, as in webhook payloads.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversations.attachments import signed_url
from conversations.models import Conversation, Message
from conversations.payloads import sender_of


class UserBriefOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField(source="display_name")
    email = serializers.CharField()


class TeamBriefOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()


class ContactBriefOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class ConversationOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    status = serializers.ChoiceField(choices=Conversation.Status.choices)
    channel = serializers.CharField(source="channel.medium", help_text="The medium: whatsapp, sms, email, ...")
    channel_id = serializers.UUIDField(source="channel.uuid")
    contact = ContactBriefOut()
    assignee = UserBriefOut(allow_null=True)
    team = TeamBriefOut(allow_null=True)
    labels = serializers.SerializerMethodField(help_text="Label names.")
    subject = serializers.CharField()
    unread_count = serializers.IntegerField()
    last_message_preview = serializers.CharField()
    last_activity_at = serializers.DateTimeField()
    last_inbound_at = serializers.DateTimeField(allow_null=True)
    waiting_since = serializers.DateTimeField(allow_null=True)
    snoozed_until = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_labels(self, conversation) -> list[str]:
        return [label.name for label in conversation.labels.all()]


class SenderOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=Message.SenderType.choices)
    id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField(allow_null=True, required=False)


class AttachmentOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="A signed link, valid for an hour.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment) -> str:
        return signed_url(attachment, user_id=None, absolute=True)


class MessageOut(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    conversation_id = serializers.UUIDField(source="conversation.uuid")
    direction = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    content = serializers.CharField()
    content_type = serializers.ChoiceField(choices=Message.ContentType.choices)
    payload = serializers.DictField()
    private = serializers.BooleanField(help_text="A private note: never sent to the contact.")
    status = serializers.ChoiceField(choices=Message.Status.choices)
    error = serializers.CharField(
        source="error_reason", help_text="Why sending failed (or will be retried); empty if not."
    )
    attachments = AttachmentOut(many=True)
    in_reply_to = serializers.UUIDField(source="in_reply_to.uuid", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=["inbound", "outbound"]))
    def get_direction(self, message) -> str:
        return "inbound" if message.direction == Message.Direction.INBOUND else "outbound"

    @extend_schema_field(SenderOut)
    def get_sender(self, message) -> dict:
        return sender_of(message)


MESSAGE_RELATED = ("conversation__contact", "channel", "sender_user", "in_reply_to")

CONVERSATION_EXAMPLE = {
    "id": "5f0c2a57-6a8e-4a8f-9a3c-0f6b1c9d2e11",
    "status": "open",
    "channel": "whatsapp",
    "channel_id": "a1d4c1e2-3b4f-4c5d-8e9f-0a1b2c3d4e5f",
    "contact": {
        "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "name": "Maria Silva",
        "email": "maria@example.com",
        "phone": "+5511987654321",
    },
    "assignee": {"id": "0b7e3c1a-9f2d-4e8b-a6c5-d4e3f2a1b0c9", "name": "Ana Souza", "email": "ana@example.com"},
    "team": None,
    "labels": ["vip"],
    "subject": "",
    "unread_count": 1,
    "last_message_preview": "Meu pedido ainda não chegou",
    "last_activity_at": "2026-06-28T15:30:45Z",
    "last_inbound_at": "2026-06-28T15:30:45Z",
    "waiting_since": "2026-06-28T15:30:45Z",
    "snoozed_until": None,
    "resolved_at": None,
    "created_at": "2026-06-28T15:30:45Z",
    "updated_at": "2026-06-28T15:31:02Z",
}

MESSAGE_EXAMPLE = {
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "conversation_id": "5f0c2a57-6a8e-4a8f-9a3c-0f6b1c9d2e11",
    "direction": "outbound",
    "sender": {"type": "agent", "id": "0b7e3c1a-9f2d-4e8b-a6c5-d4e3f2a1b0c9", "name": "Ana Souza"},
    "content": "Seu pedido saiu para entrega hoje.",
    "content_type": "text",
    "payload": {},
    "private": False,
    "status": "queued",
    "error": "",
    "attachments": [],
    "in_reply_to": None,
    "created_at": "2026-06-28T15:32:10Z",
    "sent_at": None,
    "delivered_at": None,
    "read_at": None,
    "failed_at": None,
}
