"""Reads for visitors. A visitor is authorised by their signed token only (security.Visitor): they
see the conversations of their own identity on this widget, and in them only what was meant for
them (no private notes, no system activity, no agent message before the pipeline sent it)."""

from django.db.models import Q, QuerySet

from channels_app.models import Channel
from contacts.models import Contact, ContactIdentity
from conversations.models import Conversation, Message

HISTORY_PAGE = 50
VISIBLE_OUTBOUND = (Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED, Message.Status.READ)


def channel_for_widget(uuid) -> Channel | None:
    """An active web widget channel (uses the webhook path's short per-process cache)."""
    from channels_app.selectors import channel_get_for_webhook

    try:
        return channel_get_for_webhook(kind="web_widget", uuid=uuid)
    except Exception:  # a malformed uuid
        return None


def visitor_contact(*, visitor) -> Contact | None:
    identity = ContactIdentity.objects.select_related("contact").filter(medium="web", address=visitor.address).first()
    return identity.contact if identity else None


def visitor_conversations(*, channel: Channel, visitor) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        channel=channel, contact__identities__medium="web", contact__identities__address=visitor.address
    )


def visitor_current_conversation(*, channel: Channel, visitor) -> Conversation | None:
    """The conversation the visitor is writing in now (its contact loaded), if any is open."""
    return (
        visitor_conversations(channel=channel, visitor=visitor)
        .exclude(status=Conversation.Status.RESOLVED)
        .select_related("contact")
        .order_by("-last_activity_at")
        .first()
    )


def visitor_messages(*, channel: Channel, visitor) -> QuerySet[Message]:
    visible = Q(direction=Message.Direction.INBOUND) | Q(
        sender_type__in=[Message.SenderType.AGENT, Message.SenderType.BOT], status__in=VISIBLE_OUTBOUND
    )
    return (
        Message.objects.filter(conversation__in=visitor_conversations(channel=channel, visitor=visitor), private=False)
        .filter(visible)
        .exclude(content_type=Message.ContentType.ACTIVITY)
    )


def visitor_history(*, channel: Channel, visitor, before: str | None = None) -> tuple[list[Message], bool, dict]:
    """The newest page of the visitor's messages (oldest first), whether older ones exist, and
    the conversations involved ({uuid: (status, unread_count)}) for the "seen" marks."""
    messages = (
        visitor_messages(channel=channel, visitor=visitor)
        .select_related("conversation", "sender_user")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
    if before:
        anchor = (
            visitor_messages(channel=channel, visitor=visitor).filter(uuid=before).values("created_at", "id").first()
        )
        if anchor is not None:
            messages = messages.filter(
                Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__lt=anchor["id"])
            )
    page = list(messages[: HISTORY_PAGE + 1])
    newest_first = page[:HISTORY_PAGE]
    conversations = {
        str(m.conversation.uuid): (m.conversation.status, m.conversation.unread_count) for m in newest_first
    }
    return list(reversed(newest_first)), len(page) > HISTORY_PAGE, conversations


def seen_flags(messages: list[Message]) -> dict[int, bool]:
    """Visitor messages an agent has read: all but the conversation's `unread_count` newest."""
    flags, pending = {}, {}
    for message in reversed(messages):  # newest first
        if message.direction != Message.Direction.INBOUND:
            continue
        conversation = message.conversation
        left = pending.setdefault(conversation.pk, conversation.unread_count)
        flags[message.pk] = left <= 0
        pending[conversation.pk] = left - 1
    return flags


def visitor_message_get(*, channel: Channel, visitor, uuid) -> Message | None:
    return (
        visitor_messages(channel=channel, visitor=visitor)
        .select_related("conversation", "sender_user")
        .prefetch_related("attachments")
        .filter(uuid=uuid)
        .first()
    )


def visitor_outbound_ids(*, channel: Channel, visitor, uuids: list[str]) -> list[str]:
    """Of these message ids, the agent and bot messages this visitor may acknowledge."""
    return [
        str(u)
        for u in visitor_messages(channel=channel, visitor=visitor)
        .filter(uuid__in=uuids, direction=Message.Direction.OUTBOUND)
        .values_list("uuid", flat=True)
    ]


def visitor_has_conversation(*, channel: Channel, visitor) -> bool:
    return visitor_conversations(channel=channel, visitor=visitor).exists()
