from django import template
from django.templatetags.static import static
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from channels_app.registry import adapter_class
from conversations import attachments

register = template.Library()

# Icons are Lucide's, vendored as one sprite (scripts/build_icons.py); no emoji, which render as
# empty boxes where the machine has no colour emoji font.
ICON_SPRITE = "vendor/lucide-icons-1.62.0.svg"
MEDIUM_ICONS = {
    "whatsapp": "message-circle",
    "messenger": "message-square",
    "instagram": "camera",
    "email": "mail",
    "sms": "smartphone",
    "web_widget": "globe",
    "api": "plug",
    "voice": "phone",
}


@register.simple_tag
def icon(name: str, css: str = ""):
    """A decorative inline SVG icon: hidden from screen readers, so the text beside it (or an
    aria-label on the control) carries the meaning."""
    return format_html(
        '<svg class="icon{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        f" {css}" if css else "",
        static(ICON_SPRITE),
        name,
    )


@register.simple_tag(takes_context=True)
def attachment_url(context, attachment):
    """A signed URL that only the signed-in agent can open, for an hour."""
    return attachments.signed_url(attachment, user_id=context["request"].user.pk)


@register.filter
def medium_icon(channel):
    """The channel's kind as a small coloured icon (decorative: the channel's name goes beside it)."""
    try:
        medium = adapter_class(channel.kind).medium
    except LookupError:
        medium = ""
    return medium_kind_icon(medium)


@register.simple_tag
def medium_kind_icon(medium: str):
    return icon(MEDIUM_ICONS.get(medium, "message-square"), f"ch-icon ch-{medium or 'other'}")


@register.filter
def medium_label(channel) -> str:
    try:
        return str(adapter_class(channel.kind).label)
    except LookupError:
        return channel.kind


@register.filter
def when(value, precision: str = "") -> str:
    """A moment as compactly as is unambiguous, in the viewer's time zone: the time today, the
    day and month this year, the full date otherwise; `|when:"time"` adds the time to older days
    (message timestamps). `|when_full` is the long form for a title."""
    if not value:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == today:
        return time
    day = formats.date_format(local, "j M" if local.year == today.year else "SHORT_DATE_FORMAT")
    return f"{day} {time}" if precision == "time" else day


@register.filter
def when_full(value) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    text = formats.date_format(local, "DATETIME_FORMAT")
    if (translation.get_language() or "").startswith("pt"):
        # Django's pt-BR catalogue capitalises month names; Portuguese writes them in lower case.
        month = formats.date_format(local, "F")
        text = text.replace(month, month.lower())
    return text


@register.filter
def waiting(since) -> str:
    """Compact waiting time: 45s, 12m, 3h, 2d."""
    if not since:
        return ""
    seconds = max(0, int((timezone.now() - since).total_seconds()))
    if seconds < 60:
        return _("%(n)ss") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)sm") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)sh") % {"n": seconds // 3600}
    return _("%(n)sd") % {"n": seconds // 86400}


@register.filter
def duration_since(value) -> str:
    """How long ago, like Django's `timesince`, but never "0 minutes": under a minute (or a
    moment still to come) reads "less than a minute"."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return _("less than a minute")
    return timesince(value)


@register.filter
def duration_until(value) -> str:
    """How long until, like Django's `timeuntil`, but never "0 minutes": under a minute (or a
    moment already past, e.g. a retry that is due) reads "less than a minute"."""
    if not value:
        return ""
    if (value - timezone.now()).total_seconds() < 60:
        return _("less than a minute")
    return timeuntil(value)


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "?").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def is_inline(content_type: str) -> bool:
    return attachments.is_inline(content_type)


@register.filter
def phone(value: str) -> str:
    """`+5511987654321` → `+55 11 98765-4321` for reading (stored and searched as E.164)."""
    from contacts.identities import display_phone

    return display_phone(value)


@register.filter
def tel_href(phone: str) -> str:
    """A phone number as written on a shared contact card (`+55 21 99876-1234`) → `tel:+5521998761234`."""
    text = str(phone or "")
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"tel:{'+' if text.strip().startswith('+') else ''}{digits}"


@register.filter
def fields_with_errors(form) -> list:
    """The visible fields of a bound form that failed validation, for the summary at its top."""
    return [field for field in form.visible_fields() if field.errors]


@register.filter
def activity_text(message) -> str:
    """A system line in the reader's language (conversations.activity), else its stored text."""
    from conversations.activity import describe

    return describe(message.payload or {}) or message.content
