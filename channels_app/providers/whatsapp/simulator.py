"""The customer's phone: webhook payloads shaped exactly like Meta's, for every inbound message
type and status. Used by the sandbox (status callbacks), `manage.py simulate whatsapp` and the
tests. Pure: builders return dicts; `encode` gives the bytes that are signed and posted.

Shapes follow Meta's webhook reference for the `messages` field (see parsing.py).
"""

import json
import secrets
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Business:
    """The business number the customer writes to."""

    phone_number_id: str
    display_phone_number: str
    waba_id: str


def new_wamid() -> str:
    # Real wamids are base64 of an opaque protobuf; ours only need to be unique and look the part.
    return "wamid.HBgN" + secrets.token_urlsafe(36).replace("-", "A").replace("_", "B")


def encode(payload: dict) -> bytes:
    """The bytes Meta would send: compact JSON, non-ASCII kept as \\u escapes."""
    return json.dumps(payload, separators=(",", ":")).encode()


def _envelope(business: Business, value: dict, field: str = "messages") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": business.waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": business.display_phone_number,
                                "phone_number_id": business.phone_number_id,
                            },
                            **value,
                        },
                        "field": field,
                    }
                ],
            }
        ],
    }


def wa_id(number: str) -> str:
    """A phone number as WhatsApp spells the customer's id: digits only, no "+"."""
    return "".join(ch for ch in number if ch.isdigit())


def message_webhook(
    business: Business,
    *,
    sender: str,
    name: str,
    message: dict,
    wamid: str | None = None,
    reply_to: str = "",
    timestamp: int | None = None,
) -> dict:
    """A `messages` webhook carrying one inbound message. `message` is the type-specific part,
    e.g. {"type": "text", "text": {"body": "Olá"}} (see the helpers below)."""
    sender_id = wa_id(sender)
    item = {"from": sender_id, "id": wamid or new_wamid(), "timestamp": str(timestamp or int(time.time())), **message}
    if reply_to:
        item["context"] = {"from": business.display_phone_number, "id": reply_to}
    return _envelope(business, {"contacts": [{"profile": {"name": name}, "wa_id": sender_id}], "messages": [item]})


def text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


def media(kind: str, *, media_id: str, mime_type: str, sha256: str, caption: str = "", filename: str = "") -> dict:
    """image, video, audio (voice note when mime is ogg/opus), document or sticker."""
    item = {"mime_type": mime_type, "sha256": sha256, "id": media_id}
    if caption and kind in ("image", "video", "document"):
        item["caption"] = caption
    if kind == "document":
        item["filename"] = filename or "document"
    if kind == "audio":
        item["voice"] = mime_type.startswith("audio/ogg")
    if kind == "sticker":
        item["animated"] = False
    return {"type": kind, kind: item}


def location(latitude: float, longitude: float, *, name: str = "", address: str = "") -> dict:
    item = {"latitude": latitude, "longitude": longitude}
    if name:
        item["name"] = name
    if address:
        item["address"] = address
    return {"type": "location", "location": item}


def contact_card(formatted_name: str, phone: str) -> dict:
    first, _sep, last = formatted_name.partition(" ")
    name = {"formatted_name": formatted_name, "first_name": first}
    if last:
        name["last_name"] = last
    return {
        "type": "contacts",
        "contacts": [{"name": name, "phones": [{"phone": phone, "wa_id": wa_id(phone), "type": "CELL"}]}],
    }


def button_reply(button_id: str, title: str) -> dict:
    return {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }


def list_reply(row_id: str, title: str, description: str = "") -> dict:
    reply = {"id": row_id, "title": title}
    if description:
        reply["description"] = description
    return {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": reply}}


def template_button(payload: str, text_: str) -> dict:
    """The customer tapped a quick-reply button of a template (type `button`, not `interactive`)."""
    return {"type": "button", "button": {"payload": payload, "text": text_}}


def reaction(message_id: str, emoji: str) -> dict:
    """An empty emoji removes the customer's reaction."""
    return {"type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}}


def status_webhook(
    business: Business,
    *,
    wamid: str,
    status: str,
    recipient: str,
    errors: list | None = None,
    timestamp: int | None = None,
) -> dict:
    """A `statuses` webhook: sent, delivered, read or failed (with Meta's errors[])."""
    item: dict = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": wa_id(recipient),
    }
    if status == "failed":
        item["errors"] = errors or []
    else:
        item["pricing"] = {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }
    return _envelope(business, {"statuses": [item]})


def error(code: int, title: str, details: str) -> dict:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
