"""The Graph API calls a WhatsApp channel makes, all through core.http (timeouts, API call log,
token redaction). `Authorization: Bearer <access token>` on every call, including the media
download from the URL Meta hands out (that download fails without it).

A sandbox channel talks to the product's own Graph stand-in (sandbox.py) instead of Meta: the
base URL is chosen here and nowhere else, so a sandbox channel can never reach a real number and
a real channel never the sandbox.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from channels_app.adapters import ChannelError
from channels_app.providers.whatsapp import errors
from core import http

PROVIDER = "whatsapp"


def sandbox_base_url() -> str:
    return settings.PROVIDER_BASE_URLS.get("whatsapp_sandbox") or f"{settings.PUBLIC_BASE_URL}/sandbox/whatsapp/graph"


def base_url(channel) -> str:
    root = sandbox_base_url() if channel.settings.get("sandbox") else settings.PROVIDER_BASE_URLS["meta_graph"]
    return f"{root.rstrip('/')}/{settings.META_GRAPH_API_VERSION}"


def token(channel) -> str:
    return channel.credentials.get("access_token", "")


def call(channel, method: str, path: str, *, operation: str, reference: str = "", url: str = "", **kwargs):
    """One authenticated Graph call. Returns the httpx response of a 2xx; raises ChannelError
    (classified by errors.from_graph_response) otherwise, transient when nothing answered."""
    access_token = token(channel)
    if not access_token:
        raise ChannelError(_("This WhatsApp channel has no access token: add one in its settings."), reconnect=True)
    headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
    try:
        response = http.request(
            method,
            url or f"{base_url(channel)}/{path.lstrip('/')}",
            provider=PROVIDER,
            operation=operation,
            channel_id=channel.pk,
            reference=reference,
            headers=headers,
            secrets=[access_token, channel.credentials.get("app_secret", "")],
            **kwargs,
        )
    except http.TransportError as exc:
        raise ChannelError(_("WhatsApp did not answer: %(error)s") % {"error": exc.message}) from exc
    if response.status_code >= 400:
        raise errors.from_graph_response(response)
    return response


def json_of(response) -> dict:
    try:
        data = response.json()
    except ValueError as exc:
        raise ChannelError(_("WhatsApp answered with something that is not JSON.")) from exc
    if not isinstance(data, dict):
        raise ChannelError(_("WhatsApp answered with an unexpected shape."))
    return data
