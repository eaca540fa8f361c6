"""Template helpers for WhatsApp setup screens and message rendering."""

from django import template
from django.utils.translation import gettext_lazy as _

from channels_app.providers.whatsapp import selectors

register = template.Library()

# Meta's template categories, as Meta's own Portuguese screens name them.
CATEGORIES = {"MARKETING": _("marketing"), "UTILITY": _("utility"), "AUTHENTICATION": _("authentication")}


@register.filter
def template_category(category: str) -> str:
    """A message template's category in the reader's language (an unknown one as Meta spells it)."""
    return str(CATEGORIES.get((category or "").upper(), (category or "").lower()))


@register.simple_tag
def whatsapp_setup(channel) -> dict:
    """What an admin pastes into Meta's dashboard for this channel: the callback URL and verify
    token (the Meta app's when the channel names one, whose app-level URL serves every number)."""
    app = selectors.meta_app_of_channel(channel)
    return {
        "callback_url": channel.webhook_url,
        "verify_token": channel.credentials.get("verify_token")
        or (app.credentials.get("verify_token", "") if app else ""),
        "meta_app": app,
        "app_callback_url": app.webhook_url if app else "",
        "sandbox": bool(channel.settings.get("sandbox")),
        "phone_number_id": channel.settings.get("phone_number_id", ""),
        "display_phone_number": channel.settings.get("display_phone_number", ""),
    }
