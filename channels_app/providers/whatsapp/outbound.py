"""Our outbound messages → the JSON body of `POST /{phone-number-id}/messages`. Pure.

Common fields: `messaging_product: "whatsapp"`, `recipient_type: "individual"`, `to` (the wa_id as
Meta spelled it), `type`, and `context.message_id` when the agent quotes a message.

Our `interactive` payloads (what the console and the API store on the message):
    {"type": "button", "buttons": [{"id": "yes", "title": "Sim"}, ...], "header"?: str, "footer"?: str}
    {"type": "list", "button": "Ver opções", "sections": [{"title": str, "rows":
        [{"id": str, "title": str, "description"?: str}, ...]}, ...], "header"?: str, "footer"?: str}
with the message text as the body. Limits are Meta's (checked against its interactive-message
pages): 1–3 reply buttons, title ≤ 20, id ≤ 256, body ≤ 1024; lists ≤ 10 rows in all, row
title ≤ 24, description ≤ 72, row id ≤ 200, button label ≤ 20, body ≤ 4096; header/footer ≤ 60.

Our `template` payloads: {"name", "language": {"code"}, "components": [...]} in Meta's send
format (built by templating.py), plus our own keys (template id, parameters) that are not sent.
"""

import re

from django.utils.translation import gettext as _

from channels_app.adapters import OutboundAttachment, OutboundMessage

TEXT_MAX = 4096
URL_RE = re.compile(r"https?://\S", re.IGNORECASE)

# Meta's per-type media limits [verified against partner copies of Meta's media page]; larger
# images, videos and audio still go through as documents (up to 100 MB).
MEDIA_LIMITS = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024, "audio": 16 * 1024 * 1024}
DOCUMENT_LIMIT = 100 * 1024 * 1024
IMAGE_TYPES = {"image/jpeg", "image/png"}
VIDEO_TYPES = {"video/mp4", "video/3gpp"}
AUDIO_TYPES = {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
CAPTIONED = {"image", "video", "document"}


class Invalid(ValueError):
    """The message cannot be expressed for WhatsApp; `args[0]` says why, for the agent."""


def media_kind(attachment: OutboundAttachment) -> str:
    """Which WhatsApp media type carries this file: image, video, audio or document."""
    content_type = attachment.content_type.split(";", 1)[0].strip().lower()
    if content_type in IMAGE_TYPES:
        kind = "image"
    elif content_type in VIDEO_TYPES:
        kind = "video"
    elif content_type in AUDIO_TYPES:
        kind = "audio"
    else:
        kind = "document"
    if kind != "document" and attachment.size > MEDIA_LIMITS[kind]:
        kind = "document"
    if attachment.size > DOCUMENT_LIMIT:
        raise Invalid(_("%(name)s is larger than WhatsApp's 100 MB limit.") % {"name": attachment.name})
    return kind


def _check_length(value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        raise Invalid(_("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit})


def validate_interactive(payload: dict, body: str) -> None:
    """Raise Invalid with the first problem found in an interactive message."""
    if not isinstance(payload, dict) or payload.get("type") not in ("button", "list"):
        raise Invalid(_("An interactive message needs a type: button or list."))
    if not body.strip():
        raise Invalid(_("An interactive message needs a text."))
    for key in ("header", "footer"):
        if payload.get(key):
            _check_length(str(payload[key]), 60, _("The header") if key == "header" else _("The footer"))
    if payload["type"] == "button":
        _check_length(body, 1024, _("The text of a message with buttons"))
        buttons = payload.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise Invalid(_("WhatsApp allows 1 to 3 reply buttons."))
        titles = set()
        for button in buttons:
            if (
                not isinstance(button, dict)
                or not str(button.get("id") or "").strip()
                or not str(button.get("title") or "").strip()
            ):
                raise Invalid(_("Each button needs an id and a title."))
            _check_length(str(button["title"]), 20, _("A button title"))
            _check_length(str(button["id"]), 256, _("A button id"))
            titles.add(str(button["title"]))
        if len(titles) != len(buttons):
            raise Invalid(_("Button titles must be different from each other."))
        return
    _check_length(body, TEXT_MAX, _("The text of a list message"))
    label = str(payload.get("button") or "")
    if not label.strip():
        raise Invalid(_("A list message needs the label of its menu button."))
    _check_length(label, 20, _("The menu button label"))
    sections = payload.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise Invalid(_("A list message needs 1 to 10 sections."))
    rows = 0
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list) or not section["rows"]:
            raise Invalid(_("Each section needs at least one row."))
        if len(sections) > 1 and not str(section.get("title") or "").strip():
            raise Invalid(_("With several sections, each needs a title."))
        _check_length(str(section.get("title") or ""), 24, _("A section title"))
        for row in section["rows"]:
            if (
                not isinstance(row, dict)
                or not str(row.get("id") or "").strip()
                or not str(row.get("title") or "").strip()
            ):
                raise Invalid(_("Each row needs an id and a title."))
            _check_length(str(row["title"]), 24, _("A row title"))
            _check_length(str(row.get("description") or ""), 72, _("A row description"))
            _check_length(str(row["id"]), 200, _("A row id"))
            rows += 1
    if rows > 10:
        raise Invalid(_("WhatsApp allows at most 10 rows in a list, across all sections."))


def _interactive(payload: dict, body: str) -> dict:
    validate_interactive(payload, body)
    interactive: dict = {"type": payload["type"]}
    if payload.get("header"):
        interactive["header"] = {"type": "text", "text": str(payload["header"])}
    interactive["body"] = {"text": body}
    if payload.get("footer"):
        interactive["footer"] = {"text": str(payload["footer"])}
    if payload["type"] == "button":
        interactive["action"] = {
            "buttons": [
                {"type": "reply", "reply": {"id": str(b["id"]), "title": str(b["title"])}} for b in payload["buttons"]
            ]
        }
    else:
        sections = []
        for section in payload["sections"]:
            rows = []
            for row in section["rows"]:
                item = {"id": str(row["id"]), "title": str(row["title"])}
                if row.get("description"):
                    item["description"] = str(row["description"])
                rows.append(item)
            sections.append(
                {"title": str(section.get("title") or ""), "rows": rows} if section.get("title") else {"rows": rows}
            )
        interactive["action"] = {"button": str(payload["button"]), "sections": sections}
    return interactive


def _template(payload: dict) -> dict:
    name = str(payload.get("name") or "")
    language = payload.get("language") or {}
    code = language.get("code") if isinstance(language, dict) else str(language)
    if not name or not code:
        raise Invalid(_("A template message needs the template's name and language."))
    template: dict = {"name": name, "language": {"code": code}}
    if payload.get("components"):
        template["components"] = payload["components"]
    return template


def message_body(message: OutboundMessage, *, media: dict | None = None, media_type: str = "") -> dict:
    """The request body for one outbound message. `media` is `{"id": ...}` (uploaded) or
    `{"link": ...}` for a message carrying a file of WhatsApp type `media_type`."""
    body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.recipient}
    if message.reply_to_provider_id:
        body["context"] = {"message_id": message.reply_to_provider_id}
    text = message.content or ""
    if media is not None:
        item = dict(media)
        if text.strip():
            if media_type not in CAPTIONED:
                raise Invalid(
                    _("WhatsApp cannot put a text on an audio message: send the text and the audio separately.")
                )
            _check_length(text, 1024, _("A caption"))
            item["caption"] = text
        if media_type == "document" and message.attachments:
            item["filename"] = message.attachments[0].name
        body.update(type=media_type, **{media_type: item})
        return body
    if message.content_type == "template":
        body.update(type="template", template=_template(message.payload or {}))
        return body
    if message.content_type == "interactive":
        body.update(type="interactive", interactive=_interactive(message.payload or {}, text))
        return body
    if not text.strip():
        raise Invalid(_("The message is empty."))
    _check_length(text, TEXT_MAX, _("A WhatsApp message"))
    preview = (message.payload or {}).get("preview_url")
    body.update(
        type="text", text={"body": text, "preview_url": bool(URL_RE.search(text)) if preview is None else bool(preview)}
    )
    return body


def mark_read_body(provider_message_id: str) -> dict:
    return {"messaging_product": "whatsapp", "status": "read", "message_id": provider_message_id}
