"""A widget channel's settings, read into typed values (the setup form validated them)."""

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.utils.text import slugify
from django.utils.translation import gettext as _

from channels_app.providers.web_widget import bot, office_hours

DEFAULT_COLOR = "#2f6feb"
DEFAULT_TIME_ZONE = "America/Sao_Paulo"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
DOCUMENT_TYPES = (
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)
DEFAULT_MAX_UPLOAD_MB = 10


@dataclass(frozen=True)
class PrechatField:
    key: str  # name | email | phone | a custom attribute key
    label: str
    kind: str  # name | email | phone | text
    required: bool


def prechat_fields(channel) -> list[PrechatField]:
    values = channel.settings
    if not values.get("prechat_enabled"):
        return []
    fields = []
    for key, kind, label in (
        ("name", "name", _("Name")),
        ("email", "email", _("E-mail")),
        ("phone", "phone", _("Phone")),
    ):
        mode = values.get(f"prechat_{key}", "off")
        if mode in ("optional", "required"):
            fields.append(PrechatField(key=key, label=str(label), kind=kind, required=mode == "required"))
    fields += custom_fields(values.get("prechat_custom", ""))
    return fields


def custom_fields(text: str) -> list[PrechatField]:
    """One field per line, its label; a trailing `*` makes it required: `Order number*`."""
    fields, seen = [], {"name", "email", "phone"}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        required = line.endswith("*")
        label = line.rstrip("*").strip()[:60]
        key = slugify(label).replace("-", "_")[:40]
        if not key or key in seen:
            raise ValueError(_("“%(label)s”: each field needs a distinct name.") % {"label": label or line})
        seen.add(key)
        fields.append(PrechatField(key=key, label=label, kind="text", required=required))
    return fields


def upload_policy(channel) -> tuple[tuple[str, ...], int]:
    """(accepted content types, largest size in bytes); no types means uploads are off."""
    mode = channel.settings.get("uploads", "documents")
    types = {"off": (), "images": IMAGE_TYPES, "documents": IMAGE_TYPES + DOCUMENT_TYPES}.get(mode, ())
    megabytes = int(channel.settings.get("max_upload_mb") or DEFAULT_MAX_UPLOAD_MB)
    return types, min(megabytes * 1024 * 1024, django_settings.ATTACHMENT_MAX_BYTES)


def hours(channel) -> office_hours.OfficeHours | None:
    text = channel.settings.get("office_hours", "")
    if not text.strip():
        return None
    try:
        return office_hours.parse(text, channel.settings.get("time_zone") or DEFAULT_TIME_ZONE)
    except office_hours.InvalidOfficeHours:
        return None  # the form refuses these; a bad value stored by other means means "always open"


def bot_config(channel) -> bot.BotConfig:
    values = channel.settings
    try:
        flow = bot.parse_flow(values.get("bot_flow"))
        faq = bot.parse_faq(values.get("bot_faq", ""))
    except bot.InvalidBotConfig:
        flow, faq = {}, ()
    return bot.BotConfig(
        enabled=bool(values.get("bot_enabled")),
        flow=flow,
        faq=faq,
        handoff_keywords=bot.parse_keywords(values.get("handoff_keywords", bot.DEFAULT_HANDOFF_KEYWORDS)),
        hours=hours(channel),
        away_message=values.get("away_message", ""),
        capture_email=bool(values.get("capture_email", True)),
    )


def language(channel, requested: str) -> str:
    """The widget's language: the channel's choice, or the browser's (pt* → pt-br, else en)."""
    chosen = channel.settings.get("language", "auto")
    if chosen in ("en", "pt-br"):
        return chosen
    return "pt-br" if (requested or "").lower().startswith("pt") else "en"


_DATA_URI = re.compile(r"^data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=]+)$")


def logo(channel) -> tuple[str, bytes] | None:
    """(content type, bytes) of the uploaded logo, if any."""
    import base64

    match = _DATA_URI.match(channel.settings.get("logo", "") or "")
    if not match:
        return None
    return match.group(1), base64.b64decode(match.group(2))


def logo_version(channel) -> str:
    return hashlib.sha256((channel.settings.get("logo") or "").encode()).hexdigest()[:12]
