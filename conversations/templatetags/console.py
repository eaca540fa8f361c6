from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.registry import adapter_class
from conversations import attachments

register = template.Library()

MEDIUM_ICONS = {
    "whatsapp": "🟢",
    "messenger": "💬",
    "instagram": "📸",
    "email": "✉️",
    "sms": "📱",
    "web_widget": "🌐",
    "api": "🔌",
    "voice": "📞",
}


@register.simple_tag(takes_context=True)
def attachment_url(context, attachment):
    """A signed URL that only the signed-in agent can open, for an hour."""
    return attachments.signed_url(attachment, user_id=context["request"].user.pk)


@register.filter
def medium_icon(channel) -> str:
    try:
        return MEDIUM_ICONS.get(adapter_class(channel.kind).medium, "•")
    except LookupError:
        return "•"


@register.filter
def medium_label(channel) -> str:
    try:
        return str(adapter_class(channel.kind).label)
    except LookupError:
        return channel.kind


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
def initials(name: str) -> str:
    parts = [p for p in (name or "?").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def is_inline(content_type: str) -> bool:
    return attachments.is_inline(content_type)
