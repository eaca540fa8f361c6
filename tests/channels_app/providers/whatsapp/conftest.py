"""WhatsApp test setup: a channel configured like the fixtures' business number, the fixtures as
raw bytes, signed posts through the real webhook view, and the product's Graph sandbox serving
that number over real HTTP (base URL pointed at it)."""

import json
from pathlib import Path

import pytest
from django.test import override_settings

from channels_app.models import Channel
from channels_app.providers.whatsapp import sandbox, signature

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "whatsapp"
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
ACCESS_TOKEN = "EAAJB-test-token-0123456789"
APP_SECRET = "8c1f0b9a6d2e4f3a5b7c9d0e1f2a3b4c"
VERIFY_TOKEN = "minha-loja-verify-2026"
CUSTOMER_WA_ID = "551187654321"  # as WhatsApp spells it: no "+", no ninth digit
CUSTOMER_E164 = "+5511987654321"
BUSINESS_WAMID = "wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSQkFDNkIwQTE1NjQ2RTU1QjQ4AA=="


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture_json(name: str) -> dict:
    return json.loads(fixture_bytes(name))


def make_channel(name="Loja WhatsApp", **settings) -> Channel:
    return Channel.objects.create(
        kind="whatsapp",
        name=name,
        settings={
            "phone_number_id": PHONE_NUMBER_ID,
            "waba_id": WABA_ID,
            "display_phone_number": "+1 555 078 3881",
            **settings,
        },
        credentials={"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    )


@pytest.fixture
def wa_channel(db) -> Channel:
    return make_channel()


def post_webhook(client, url: str, body: bytes, *, secret: str = APP_SECRET, signature_value: str | None = None):
    headers = {}
    value = signature.sign(secret, body) if signature_value is None else signature_value
    if value:
        headers["HTTP_X_HUB_SIGNATURE_256"] = value
    return client.post(url, data=body, content_type="application/json", **headers)


def post_to_channel(client, channel: Channel, body: bytes, **kwargs):
    return post_webhook(client, f"/webhooks/whatsapp/{channel.uuid}/", body, **kwargs)


def number_for(channel: Channel) -> sandbox.Number:
    return sandbox.Number(
        phone_number_id=channel.settings["phone_number_id"],
        display_phone_number=channel.settings.get("display_phone_number", DISPLAY_NUMBER),
        waba_id=channel.settings["waba_id"],
        access_token=channel.credentials["access_token"],
        app_secret=channel.credentials["app_secret"],
        channel_id=channel.pk,
    )


@pytest.fixture
def graph(wa_channel):
    """The sandbox Graph API over real HTTP, standing in for graph.facebook.com."""
    with sandbox.SandboxServer([number_for(wa_channel)]) as server:
        with override_settings(
            PROVIDER_BASE_URLS={**_base_urls(), "meta_graph": server.url}, META_GRAPH_API_VERSION="v24.0"
        ):
            yield server


def _base_urls() -> dict:
    from django.conf import settings

    return dict(settings.PROVIDER_BASE_URLS)


def deliver_outbox(client, channel: Channel, server) -> list:
    """Post the status webhooks the sandbox produced, as Meta would, through the webhook view."""
    responses = [post_to_channel(client, channel, webhook.body) for webhook in server.outbox]
    server.outbox.clear()
    return responses
