"""What a visitor's browser is told about a message: public ids (UUIDs) only, never private notes,
internal ids, system activity or agents' e-mail addresses. One shape for history, live events
and the adapter's live delivery."""

from datetime import UTC

from channels_app.adapters import OutboundMessage
from conversations.attachments import signed_url
from conversations.models import Message


def _iso(value) -> str | None:
    # Always microseconds: the widget orders messages by comparing these strings.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z") if value else None


def _buttons(payload: dict) -> list[dict]:
    return [{"label": str(b.get("label", "")), "index": i} for i, b in enumerate(payload.get("buttons") or [])]


def message_for_visitor(message: Message, *, seen: bool = False) -> dict:
    """A stored message. Callers pass only messages the visitor may see (selectors.visitor_messages)."""
    inbound = message.direction == Message.Direction.INBOUND
    if inbound:
        author_type, author = "visitor", ""
    elif message.sender_type == Message.SenderType.BOT:
        author_type, author = "bot", ""
    else:
        author_type, author = "agent", message.sender_user.display_name if message.sender_user_id else ""
    return {
        "id": str(message.uuid),
        "conversation_id": str(message.conversation.uuid),
        "client_id": message.provider_message_id.rsplit(":", 1)[-1] if inbound else None,
        "from": author_type,
        "author": author,
        "text": message.content,
        "node": message.payload.get("node", "") if author_type == "bot" else "",
        "buttons": _buttons(message.payload) if author_type == "bot" else [],
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "size": a.size, "url": signed_url(a, user_id=None)}
            for a in message.attachments.all()
        ],
        "at": _iso(message.created_at),
        "seen": seen if inbound else None,
    }


def outbound_for_visitor(message: OutboundMessage) -> dict:
    """A message being delivered by the adapter right now (no database read)."""
    from django.utils import timezone as django_timezone

    bot = bool(message.payload.get("bot"))
    return {
        "id": message.uuid,
        "conversation_id": message.conversation_uuid,
        "client_id": None,
        "from": "bot" if bot else "agent",
        "author": "" if bot else message.sender_name,
        "text": message.content,
        "node": message.payload.get("node", "") if bot else "",
        "buttons": _buttons(message.payload) if bot else [],
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "size": a.size, "url": _relative(a.url)}
            for a in message.attachments
        ],
        "at": _iso(django_timezone.now()),
        "seen": None,
    }


def _relative(url: str) -> str:
    # The pipeline signs absolute URLs (for providers that fetch them); the widget is served by
    # us, so the path alone works whatever host name the visitor reached us by.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
