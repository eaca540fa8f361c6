"""Meta webhook payloads → our normalised items. Pure: no database, no network.

Envelope (Meta "messages" webhook field):
    {"object": "whatsapp_business_account",
     "entry": [{"id": <WABA id>, "changes": [{"field": "messages",
                "value": {"messaging_product": "whatsapp",
                          "metadata": {"display_phone_number", "phone_number_id"},
                          "contacts": [{"profile": {"name"}, "wa_id"}],
                          "messages": [...] | "statuses": [...] | "errors": [...]}}]}]}
Every entry and every change is read (one delivery can batch several). `timestamp` is a string of
Unix seconds. Optional newer keys (user_id, BSUIDs, pricing shapes) are ignored or kept opaque.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from channels_app.adapters import BadPayload, InboundMessage, RemoteAttachment, Sender, StatusUpdate
from channels_app.providers.whatsapp import errors

logger = logging.getLogger(__name__)

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
CONTENT_TYPE_OF_MEDIA = {"image": "image", "video": "video", "audio": "audio", "document": "file", "sticker": "sticker"}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "application/pdf": "pdf",
}
STATUS_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}
MEDIA_REF_PREFIX = "graph-media:"


@dataclass(frozen=True)
class TemplateStatusChange:
    """A template was approved, rejected, paused... (webhook field `message_template_status_update`)."""

    waba_id: str
    meta_id: str
    name: str
    language: str
    event: str
    reason: str = ""


def load(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry", []), list):
        raise BadPayload("Expected a WhatsApp webhook object with an `entry` list.")
    return data


def changes(data: dict):
    """(entry, change) pairs of a delivery, skipping shapes that are not objects."""
    for entry in data.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield entry, change


def phone_number_id_of(change: dict) -> str:
    metadata = change["value"].get("metadata")
    return str(metadata.get("phone_number_id") or "") if isinstance(metadata, dict) else ""


def dedupe_key(body: bytes) -> str:
    """Equal for every delivery of the same events: the ids of the messages and statuses it
    carries (Meta retries the same ids for days), else a hash of the body."""
    data = load(body)
    ids = []
    for _entry, change in changes(data):
        value = change["value"]
        for message in value.get("messages") or []:
            if isinstance(message, dict) and message.get("id"):
                ids.append(f"msg:{message['id']}")
        for status in value.get("statuses") or []:
            if isinstance(status, dict) and status.get("id"):
                ids.append(f"status:{status['id']}:{status.get('status')}")
        if change.get("field") == "message_template_status_update":
            ids.append(f"tpl:{value.get('message_template_id')}:{value.get('event')}")
    if len(ids) == 1:
        return ids[0][:200]
    if ids:
        return "ids:" + hashlib.sha256("|".join(sorted(ids)).encode()).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def split_by_number(body: bytes) -> list[tuple[dict, bytes]]:
    """An app-level delivery split into one body per routing key: messages and statuses by
    `metadata.phone_number_id`, account events (template updates) by WABA id (`entry.id`)."""
    data = load(body)
    parts: dict[tuple[str, str], dict] = {}
    for entry, change in changes(data):
        number = phone_number_id_of(change)
        key = ("phone_number_id", number) if number else ("waba_id", str(entry.get("id") or ""))
        if not key[1]:
            continue
        envelope = parts.setdefault(key, {"object": data.get("object"), "entry": []})
        envelope["entry"].append({"id": entry.get("id"), "changes": [change]})
    return [({key[0]: key[1]}, json.dumps(envelope).encode()) for key, envelope in parts.items()]


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse(body: bytes, *, phone_number_id: str, waba_id: str = "") -> list:
    """Items for the channel with this phone number id. Changes for other numbers (one Meta app
    delivers every number's events to its callback URL) are skipped."""
    items: list = []
    for entry, change in changes(load(body)):
        value = change["value"]
        field = change.get("field")
        if field == "message_template_status_update":
            if waba_id and str(entry.get("id") or "") == waba_id:
                items.append(_template_status(str(entry.get("id")), value))
            continue
        if field != "messages":
            logger.info("whatsapp webhook field %r acknowledged and ignored", field)
            continue
        number = phone_number_id_of(change)
        if number and phone_number_id and number != phone_number_id:
            logger.info("whatsapp change for phone number id %s skipped by channel %s", number, phone_number_id)
            continue
        names = {
            str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
            for c in value.get("contacts") or []
            if isinstance(c, dict) and c.get("wa_id")
        }
        for message in value.get("messages") or []:
            if isinstance(message, dict) and message.get("id") and message.get("from"):
                items.append(_message(message, names=names, change_errors=value.get("errors") or []))
        for status in value.get("statuses") or []:
            if isinstance(status, dict) and status.get("id") and status.get("status") in STATUS_STATES:
                items.append(_status(status))
        if value.get("errors") and not value.get("messages"):
            logger.warning("whatsapp reported errors for phone number id %s: %s", number, value["errors"])
    return items


def _template_status(waba_id: str, value: dict) -> TemplateStatusChange:
    return TemplateStatusChange(
        waba_id=waba_id,
        meta_id=str(value.get("message_template_id") or ""),
        name=str(value.get("message_template_name") or ""),
        language=str(value.get("message_template_language") or ""),
        event=str(value.get("event") or ""),
        reason=str(value.get("reason") or "") if value.get("reason") not in (None, "NONE") else "",
    )


def _status(status: dict) -> StatusUpdate:
    state = STATUS_STATES[status["status"]]
    reason, code = "", ""
    if state == "failed":
        reason, code = errors.status_error_reason(status.get("errors") or [])
    return StatusUpdate(
        state=state,
        provider_message_id=str(status["id"]),
        error=reason,
        error_code=code,
        timestamp=_timestamp(status.get("timestamp")),
    )


def _message(message: dict, *, names: dict, change_errors: list) -> InboundMessage:
    sender = str(message["from"])
    kind = message.get("type")
    body = message.get(kind) if isinstance(kind, str) and isinstance(message.get(kind), dict | list) else None
    content, content_type, payload, attachments = _content(kind, body, message, change_errors)
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    reply_to = str(context.get("id") or "")
    if kind == "reaction" and isinstance(body, dict):
        reply_to = str(body.get("message_id") or "")
    if context.get("forwarded") or context.get("frequently_forwarded"):
        payload["forwarded"] = "frequently" if context.get("frequently_forwarded") else True
    if isinstance(message.get("referral"), dict):
        payload["referral"] = message["referral"]
    return InboundMessage(
        provider_message_id=str(message["id"]),
        sender=Sender(medium="whatsapp", address=sender, name=names.get(sender, "")[:255]),
        content=content,
        content_type=content_type,
        payload=payload,
        timestamp=_timestamp(message.get("timestamp")),
        attachments=attachments,
        reply_to_provider_id=reply_to,
    )


def _content(kind, body, message: dict, change_errors: list):
    """(content, content_type, payload, attachments) of one inbound message."""
    if kind == "text" and isinstance(body, dict):
        return str(body.get("body") or ""), "text", {}, ()
    if kind in MEDIA_TYPES and isinstance(body, dict) and body.get("id"):
        return _media(kind, body)
    if kind == "location" and isinstance(body, dict):
        return _location(body)
    if kind == "contacts" and isinstance(body, list):
        return _contacts(body)
    if kind == "interactive" and isinstance(body, dict):
        reply_type = body.get("type")
        reply = body.get(reply_type) if isinstance(body.get(reply_type), dict) else None
        if reply_type in ("button_reply", "list_reply") and reply:
            title = str(reply.get("title") or "")
            description = str(reply.get("description") or "")
            payload = {"reply": {"type": reply_type, "id": str(reply.get("id") or ""), "title": title}}
            if description:
                payload["reply"]["description"] = description
            return (f"{title}\n{description}" if description else title), "interactive", payload, ()
        if reply_type == "nfm_reply" and reply:
            payload = {
                "reply": {"type": "nfm_reply", "name": reply.get("name"), "response_json": reply.get("response_json")}
            }
            return str(reply.get("body") or _("Form submitted")), "interactive", payload, ()
    if kind == "button" and isinstance(body, dict):
        text = str(body.get("text") or "")
        return (
            text,
            "interactive",
            {"reply": {"type": "button", "payload": str(body.get("payload") or ""), "text": text}},
            (),
        )
    if kind == "reaction" and isinstance(body, dict):
        emoji = str(body.get("emoji") or "")
        payload = {"reaction": {"message_id": str(body.get("message_id") or ""), "emoji": emoji, "removed": not emoji}}
        return (emoji or _("Removed a reaction")), "reaction", payload, ()
    if kind == "system" and isinstance(body, dict):
        return str(body.get("body") or _("The customer's WhatsApp account changed.")), "text", {"system": body}, ()
    if kind == "order" and isinstance(body, dict):
        items = body.get("product_items") or []
        lines = [f"{i.get('quantity', 1)} × {i.get('product_retailer_id', '?')}" for i in items if isinstance(i, dict)]
        text = _("Order from the catalogue:") + ("\n" + "\n".join(lines) if lines else "")
        if body.get("text"):
            text += "\n" + str(body["text"])
        return text, "text", {"order": body}, ()
    return _unsupported(kind, message, change_errors)


def _media(kind: str, body: dict):
    mime = str(body.get("mime_type") or "")
    base_mime = mime.split(";", 1)[0].strip()
    name = str(body.get("filename") or "") or f"{kind}-{body['id']}.{EXTENSIONS.get(base_mime, 'bin')}"
    payload = {"media": {"id": str(body["id"]), "mime_type": mime, "sha256": str(body.get("sha256") or "")}}
    for flag in ("voice", "animated"):
        if flag in body:
            payload["media"][flag] = bool(body[flag])
    attachment = RemoteAttachment(name=name[:255], content_type=base_mime, url=MEDIA_REF_PREFIX + str(body["id"]))
    return str(body.get("caption") or ""), CONTENT_TYPE_OF_MEDIA[kind], payload, (attachment,)


def map_url(latitude, longitude) -> str:
    return f"https://www.google.com/maps/search/?api=1&query={latitude},{longitude}"


def _location(body: dict):
    latitude, longitude = body.get("latitude"), body.get("longitude")
    link = map_url(latitude, longitude)
    label = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
    content = f"📍 {label}\n{link}" if label else f"📍 {link}"
    # Flat, as the console's message partial reads a location: payload.latitude, payload.name...
    payload = {k: body.get(k) for k in ("latitude", "longitude", "name", "address", "url") if k in body}
    payload["map_url"] = link
    return content, "location", payload, ()


def _contacts(cards: list):
    shared = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        name = card.get("name") if isinstance(card.get("name"), dict) else {}
        shared.append(
            {
                "name": str(name.get("formatted_name") or name.get("first_name") or ""),
                "phones": [
                    {
                        "phone": str(p.get("phone") or ""),
                        "wa_id": str(p.get("wa_id") or ""),
                        "type": str(p.get("type") or ""),
                    }
                    for p in card.get("phones") or []
                    if isinstance(p, dict)
                ],
                "emails": [str(e.get("email") or "") for e in card.get("emails") or [] if isinstance(e, dict)],
                "org": str((card.get("org") or {}).get("company") or "") if isinstance(card.get("org"), dict) else "",
            }
        )
    lines = []
    for card in shared:
        phones = ", ".join(p["phone"] for p in card["phones"] if p["phone"])
        lines.append(f"👤 {card['name']}" + (f" ({phones})" if phones else ""))
    return "\n".join(lines), "contacts", {"contacts": shared}, ()


def _unsupported(kind, message: dict, change_errors: list):
    found = message.get("errors") or change_errors or []
    first = found[0] if found and isinstance(found[0], dict) else {}
    details = ""
    if isinstance(first.get("error_data"), dict):
        details = str(first["error_data"].get("details") or "")
    content = _("The customer sent a message WhatsApp does not pass on to us (type: %(type)s).") % {
        "type": (message.get("unsupported") or {}).get("type") if isinstance(message.get("unsupported"), dict) else kind
    }
    if details:
        content += f" {details}"
    return content, "unsupported", {"type": kind, "errors": found}, ()
