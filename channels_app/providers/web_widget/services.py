"""Writes for the web chat widget: what visitors do, and what the bot answers."""

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation

from channels_app import registry
from channels_app.models import Channel
from channels_app.providers.web_widget import bot, config
from channels_app.providers.web_widget.models import BotState, VisitorUpload
from channels_app.providers.web_widget.security import Visitor
from channels_app.services import inbound_event_record
from contacts.models import Contact
from contacts.services import contact_profile_fill, contact_resolve
from conversations import services as conversation_services
from conversations.attachments import prepare_file
from conversations.models import Conversation, Message
from core import events
from core.exceptions import PolicyViolation

logger = logging.getLogger(__name__)

UPLOAD_KEEP = timedelta(days=2)
MAX_TEXT = 5000
MAX_UPLOADS_PER_MESSAGE = 5


# --- what visitors do ------------------------------------------------------------------------
def visitor_message_record(
    *,
    channel: Channel,
    visitor: Visitor,
    client_id: str,
    text: str,
    upload_ids: list[str],
    button: dict | None,
    lang: str,
    profile: dict | None = None,
    page: str = "",
) -> None:
    """Record a visitor's message as an inbound event of the channel (the pipeline does the
    rest). The same `client_id` sent again is absorbed: a browser that retries after a lost
    answer never creates a second message. Raises PolicyViolation for an empty or too long
    message and for files that are not this visitor's."""
    text = (text or "").strip()
    if not text and not upload_ids:
        raise PolicyViolation(translation.gettext("Write a message or attach a file."))
    if len(text) > MAX_TEXT:
        raise PolicyViolation(translation.gettext("Messages are limited to %(n)s characters.") % {"n": MAX_TEXT})
    if len(upload_ids) > MAX_UPLOADS_PER_MESSAGE:
        raise PolicyViolation(translation.gettext("Send at most %(n)s files at once.") % {"n": MAX_UPLOADS_PER_MESSAGE})
    uploads = list(
        VisitorUpload.objects.filter(uuid__in=upload_ids, channel=channel, visitor=visitor.address).values(
            "uuid", "name", "content_type"
        )
    )
    if len(uploads) != len(set(upload_ids)):
        raise PolicyViolation(translation.gettext("A file of this message is unknown or expired: attach it again."))
    body = {
        "type": "message",
        "visitor": {
            "key": visitor.key,
            "address": visitor.address,
            # Names from a verified site only; anonymous visitors name themselves in the pre-chat form.
            "name": str((profile or {}).get("name") or "")[:255] if visitor.verified else "",
        },
        "client_id": client_id,
        "text": text,
        "uploads": [{"id": str(u["uuid"]), "name": u["name"], "content_type": u["content_type"]} for u in uploads],
        "lang": lang,
    }
    if button:
        body["button"] = {"node": str(button.get("node", ""))[:64], "index": button.get("index")}
    if profile and visitor.verified:
        body["profile"] = {k: str(v)[:255] for k, v in profile.items() if k in ("name", "email", "phone") and v}
    if page:
        body["page"] = page[:500]
    _record(channel, body)


def visitor_receipt_record(*, channel: Channel, message_ids: list[str], state: str) -> None:
    """The visitor's browser received (`delivered`) or showed (`read`) agent messages. Callers
    pass only ids the visitor may acknowledge (selectors.visitor_outbound_ids)."""
    if message_ids and state in ("delivered", "read"):
        _record(channel, {"type": "receipt", "state": state, "message_ids": sorted(message_ids)})


def _record(channel: Channel, body: dict) -> None:
    raw = json.dumps(body, separators=(",", ":")).encode()
    adapter = registry.adapter_for(channel)
    inbound_event_record(
        channel=channel,
        kind=channel.kind,
        endpoint=f"channel:{channel.uuid}",
        dedupe_key=adapter.dedupe_key(raw, {}),
        body=raw,
        headers={},
    )


@transaction.atomic
def visitor_profile_save(*, channel: Channel, visitor: Visitor, values: dict) -> Contact:
    """The pre-chat form: find or create the visitor's contact and store what they told us
    (name, e-mail, phone fill empty fields; custom fields go to the contact's attributes).
    Self-declared, so it never links the visitor to another contact. Publishes
    `contact.created` / `contact.updated`."""
    contact = contact_resolve(medium="web", address=visitor.address, name=values.get("name", "")).contact
    custom = {k: v for k, v in values.items() if k not in ("name", "email", "phone") and v not in ("", None)}
    return contact_profile_fill(
        contact=contact,
        name=values.get("name", ""),
        email=values.get("email", ""),
        phone=values.get("phone", ""),
        attributes=custom,
    )


def visitor_upload_store(
    *, channel: Channel, visitor: Visitor, name: str, data: bytes, declared_type: str
) -> VisitorUpload:
    """Keep a visitor's file until their message takes it. The type is decided by the bytes;
    files the widget does not accept (by type or size) raise PolicyViolation."""
    allowed, max_bytes = config.upload_policy(channel)
    if not allowed:
        raise PolicyViolation(translation.gettext("This chat does not accept files."))
    stored = prepare_file(name=name, data=data, declared_type=declared_type, max_bytes=max_bytes, allowed=allowed)
    upload = VisitorUpload(
        channel=channel, visitor=visitor.address, name=stored.name, content_type=stored.content_type, size=stored.size
    )
    from django.core.files.base import ContentFile

    upload.file.save(stored.name, ContentFile(stored.data), save=False)
    upload.save()
    return upload


def uploads_prune(*, older_than: timedelta = UPLOAD_KEEP) -> int:
    """Delete visitor files old enough to have been attached (or abandoned)."""
    removed = 0
    for upload in VisitorUpload.objects.filter(created_at__lt=timezone.now() - older_than)[:1000]:
        upload.file.delete(save=False)
        upload.delete()
        removed += 1
    return removed


# --- reacting to the visitor's messages (durable subscriber) ---------------------------------
_widget_channels: dict[int, bool] = {}


def _is_widget(channel_pk: int) -> bool:
    # A channel's kind never changes: remember it per process, so other channels pay nothing.
    if channel_pk not in _widget_channels:
        kind = Channel.objects.filter(pk=channel_pk).values_list("kind", flat=True).first()
        _widget_channels[channel_pk] = kind == "web_widget"
    return _widget_channels[channel_pk]


def bot_react(event: events.Event) -> None:
    """Subscriber of `message.received`, run inside message_receive's transaction: store the
    verified profile a visitor's message carries, then let the bot answer. Its answers are
    queued through message_send (sender_type bot), so they go through the outbound pipeline
    and commit — or roll back — with the visitor's message."""
    if event.name != events.MESSAGE_RECEIVED or not _is_widget(event.facts["channel_pk"]):
        return
    message = Message.objects.select_related("conversation__contact", "conversation__channel").get(
        pk=event.facts["message_pk"]
    )
    conversation = message.conversation
    contact = conversation.contact
    profile = message.payload.get("profile") or {}
    if profile:
        contact = contact_profile_fill(contact=contact, **{k: profile.get(k, "") for k in ("name", "email", "phone")})
    settings = config.bot_config(conversation.channel)
    if not settings.active:
        return
    state, _created = BotState.objects.select_for_update().get_or_create(conversation=conversation)
    agent_involved = (
        Conversation.objects.filter(pk=conversation.pk, assignee__isnull=False).exists()
        or conversation.messages.filter(sender_type=Message.SenderType.AGENT, private=False).exists()
    )
    first = not conversation.messages.filter(
        direction=Message.Direction.INBOUND, created_at__lt=message.created_at
    ).exists()
    language = config.language(conversation.channel, message.payload.get("lang", ""))
    with translation.override(language):
        decision = bot.decide(
            config=settings,
            state=bot.State(
                node=state.node,
                handed_off=state.handed_off_at is not None,
                agent_involved=agent_involved,
                awaiting_email=state.awaiting_email,
                away_sent_at=state.away_sent_at,
            ),
            text=message.content,
            button=message.payload.get("button"),
            now=timezone.now(),
            first_message=first,
            contact_has_email=bool(contact.email),
        )
        for reply in decision.replies:
            payload = {"bot": True}
            if reply.node:
                payload["node"] = reply.node
            if reply.buttons:
                payload["buttons"] = [{"label": b.label} for b in reply.buttons]
            conversation_services.message_send(
                conversation=conversation,
                draft=conversation_services.Draft(content=reply.text, payload=payload),
                sender=None,
                sender_type=Message.SenderType.BOT,
            )
    if decision.email:
        contact_profile_fill(contact=contact, email=decision.email)
    now = timezone.now()
    if decision.node is not None:
        state.node = decision.node
    if decision.handoff and state.handed_off_at is None:
        state.handed_off_at = now
        state.handoff_message = message  # the pipeline routes the conversation right after this
    if decision.away_sent:
        state.away_sent_at = now
    state.awaiting_email = decision.awaiting_email
    state.save()
