"""The public payload of each domain event: one function builds it for every consumer of the
full payload (outbound webhooks; the console's live updates carry only ids). Shape as the seed's
example: `event`, `timestamp`, `data` with UUID ids, `data.channel` the medium and
`data.channel_id` the configured channel."""

from accounts.models import User
from channels_app.models import Channel
from channels_app.registry import adapter_class
from contacts.models import Contact
from conversations.models import Conversation, Message
from core.events import Event


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _channel_fields(channel: Channel) -> dict:
    return {"channel": adapter_class(channel.kind).medium, "channel_id": str(channel.uuid), "provider": channel.kind}


def sender_of(message: Message) -> dict:
    if message.sender_type == Message.SenderType.CONTACT:
        return {"type": "contact", "id": str(message.conversation.contact.uuid)}
    return {
        "type": message.sender_type,
        "id": str(message.sender_user.uuid) if message.sender_user_id else None,
        "name": message.sender_user.display_name if message.sender_user_id else None,
    }


def message_data(message: Message) -> dict:
    return {
        "conversation_id": str(message.conversation.uuid),
        "message_id": str(message.uuid),
        "sender": sender_of(message),
        "content": message.content,
        "content_type": message.content_type,
        **_channel_fields(message.channel),
        "direction": "inbound" if message.direction == Message.Direction.INBOUND else "outbound",
        "private": message.private,
        "status": message.status,
        "error": message.error_reason or None,
        "attachments": [
            {"id": str(a.uuid), "name": a.name, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ],
        "created_at": _iso(message.created_at),
    }


def conversation_data(conversation: Conversation) -> dict:
    return {
        "conversation_id": str(conversation.uuid),
        "status": conversation.status,
        "assignee_id": str(conversation.assignee.uuid) if conversation.assignee_id else None,
        "team_id": str(conversation.team.uuid) if conversation.team_id else None,
        "contact_id": str(conversation.contact.uuid),
        **_channel_fields(conversation.channel),
        "labels": sorted(label.name for label in conversation.labels.all()),
        "unread_count": conversation.unread_count,
        "last_activity_at": _iso(conversation.last_activity_at),
    }


def contact_data(contact: Contact) -> dict:
    return {
        "contact_id": str(contact.uuid),
        "name": contact.name,
        "email": contact.email or None,
        "phone": contact.phone or None,
        "identities": [{"medium": i.medium, "address": i.address} for i in contact.identities.all()],
    }


def event_payload(event: Event) -> dict | None:
    """Re-read committed state and build the public payload; None if the object is gone."""
    facts = event.facts
    if event.name.startswith("message."):
        message = (
            Message.objects.select_related("conversation__contact", "channel", "sender_user")
            .prefetch_related("attachments")
            .filter(uuid=facts["message_id"])
            .first()
        )
        data = message_data(message) if message else None
    elif event.name.startswith("conversation."):
        conversation = (
            Conversation.objects.select_related("channel", "contact", "assignee", "team")
            .prefetch_related("labels")
            .filter(uuid=facts["conversation_id"])
            .first()
        )
        data = conversation_data(conversation) if conversation else None
        if data and "previous_status" in facts:
            data["previous_status"] = facts["previous_status"]
        if data and event.name == "conversation.assigned":
            previous = facts.get("previous_assignee_pk")
            data["previous_assignee_id"] = (
                str(User.objects.filter(pk=previous).values_list("uuid", flat=True).first() or "") or None
                if previous
                else None
            )
    elif event.name.startswith("contact."):
        contact = Contact.objects.prefetch_related("identities").filter(uuid=facts["contact_id"]).first()
        data = contact_data(contact) if contact else None
    else:
        data = {k: v for k, v in facts.items() if not k.endswith("_pk")}
    if data is None:
        return None
    return {"event": event.name, "timestamp": _iso(event.occurred_at), "data": data}
