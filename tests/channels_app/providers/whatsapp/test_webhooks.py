"""WhatsApp webhooks in: the GET handshake, X-Hub-Signature-256 over the raw body, the app-level
URL shared by a Meta app's numbers, and duplicate deliveries."""

import json
from pathlib import Path

import pytest

from channels_app import services
from channels_app.models import InboundEvent
from channels_app.providers.whatsapp import services as wa_services
from channels_app.providers.whatsapp import signature
from contacts.models import Contact
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import (
    APP_SECRET,
    VERIFY_TOKEN,
    fixture_bytes,
    make_channel,
    post_to_channel,
    post_webhook,
)

pytestmark = pytest.mark.django_db
VECTOR = json.loads((Path("/work/shared/providers/vectors/whatsapp-signature_vector.json")).read_text())


# --- handshake ----------------------------------------------------------------------------------
def test_the_handshake_echoes_the_challenge_for_the_right_verify_token(client, wa_channel):
    response = client.get(
        f"/webhooks/whatsapp/{wa_channel.uuid}/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"  # bare, not JSON, not quoted
    assert response["Content-Type"].startswith("text/plain")


def test_the_handshake_with_a_wrong_verify_token_is_forbidden(client, wa_channel):
    response = client.get(
        f"/webhooks/whatsapp/{wa_channel.uuid}/",
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )

    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_a_get_without_handshake_parameters_is_not_a_delivery(client, wa_channel):
    assert client.get(f"/webhooks/whatsapp/{wa_channel.uuid}/").status_code == 405


# --- signature ----------------------------------------------------------------------------------
def test_a_correctly_signed_delivery_is_stored_raw_and_accepted(client, wa_channel):
    body = fixture_bytes("text")

    response = post_to_channel(client, wa_channel, body)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert bytes(event.body) == body
    assert event.channel == wa_channel
    assert event.headers["x-hub-signature-256"] == signature.sign(APP_SECRET, body)


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "altered body", "missing header", "sha1 header only", "bare hex"],
)
def test_a_delivery_that_is_not_meta_s_is_refused_and_nothing_is_stored(client, wa_channel, tamper):
    body = fixture_bytes("text")
    url = f"/webhooks/whatsapp/{wa_channel.uuid}/"
    if tamper == "wrong secret":
        response = post_webhook(client, url, body, secret="someone-elses-secret")
    elif tamper == "altered body":
        response = post_webhook(
            client, url, body.replace(b"4521", b"9999"), signature_value=signature.sign(APP_SECRET, body)
        )
    elif tamper == "missing header":
        response = post_webhook(client, url, body, signature_value="")
    elif tamper == "sha1 header only":
        response = client.post(url, data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE="sha1=abc")
    else:
        response = post_webhook(
            client, url, body, signature_value=signature.sign(APP_SECRET, body).removeprefix("sha256=")
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not InboundEvent.objects.exists()


def test_meta_s_recorded_delivery_verifies_byte_for_byte_and_a_reserialised_copy_does_not():
    raw = VECTOR["raw_body"].encode()
    assert signature.is_valid(VECTOR["app_secret"], raw, VECTOR["header_value"])
    assert not signature.is_valid(VECTOR["app_secret"], VECTOR["tampered_raw_body"].encode(), VECTOR["header_value"])
    reserialised = json.dumps(json.loads(raw)).encode()  # spaces after separators
    assert not signature.is_valid(VECTOR["app_secret"], reserialised, VECTOR["header_value"])


def test_a_signed_but_malformed_body_gets_a_400_and_nothing_is_stored(client, wa_channel):
    response = post_to_channel(client, wa_channel, b"{not json")

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
    assert not InboundEvent.objects.exists()


# --- duplicates ---------------------------------------------------------------------------------
def test_the_same_webhook_delivered_five_times_gives_one_message(client, wa_channel):
    body = fixture_bytes("text")
    for _ in range(5):
        assert post_to_channel(client, wa_channel, body).status_code == 200
        services.inbound_drain()

    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1


def test_a_retry_in_a_different_envelope_still_gives_one_message(client, wa_channel):
    # Meta may batch a retried message with other changes: a different body, the same wamid.
    original = fixture_bytes("text")
    batched = json.loads(original)
    batched["entry"][0]["changes"].append(json.loads(fixture_bytes("status_delivered"))["entry"][0]["changes"][0])
    for body in (original, json.dumps(batched).encode(), original, json.dumps(batched, indent=1).encode(), original):
        post_to_channel(client, wa_channel, body)
    services.inbound_drain()

    # Keys are built from the ids carried, not the bytes: the re-indented batch is the same event.
    assert InboundEvent.objects.count() == 2
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1


# --- the app-level URL --------------------------------------------------------------------------
@pytest.fixture
def meta_app(db):
    return wa_services.meta_app_create(
        name="Loja app", app_id="1234", app_secret="app-level-secret", verify_token="vt-app"
    )


def test_the_app_level_handshake_uses_the_meta_app_s_verify_token(client, meta_app):
    url = f"/webhooks/whatsapp/app/{meta_app.uuid}/"
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "vt-app", "hub.challenge": "42"})
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"})

    assert (ok.status_code, ok.content) == (200, b"42")
    assert wrong.status_code == 403


def test_the_app_level_url_verifies_with_the_app_secret_before_reading_anything(client, meta_app):
    url = f"/webhooks/whatsapp/app/{meta_app.uuid}/"
    # Garbage signed with a channel's secret is refused as unsigned, not as malformed: the
    # signature is checked before the body is parsed.
    assert post_webhook(client, url, b"{garbage", secret=APP_SECRET).status_code == 401
    assert post_webhook(client, url, fixture_bytes("text"), secret=APP_SECRET).status_code == 401
    assert not InboundEvent.objects.exists()
    assert post_webhook(client, url, b"{garbage", secret="app-level-secret").status_code == 400


def test_the_app_level_url_routes_each_change_by_phone_number_id(client, meta_app, caplog):
    first = make_channel("Loja 1", meta_app=str(meta_app.uuid))
    second = make_channel("Loja 2", phone_number_id="106540352242923", meta_app=str(meta_app.uuid))
    for channel in (first, second):
        channel.credentials = {"access_token": "t"}  # secrets come from the Meta app
        channel.save()
    make_channel("Loja de outro app", phone_number_id="999999999999999")  # not this app's number

    response = post_webhook(
        client,
        f"/webhooks/whatsapp/app/{meta_app.uuid}/",
        fixture_bytes("app_level_three_numbers"),
        secret="app-level-secret",
    )
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.channel is None and event.endpoint == f"whatsapp-app:{meta_app.uuid}"

    with caplog.at_level("INFO"):
        assert services.inbound_drain() == 1

    texts = dict(Message.objects.values_list("channel__name", "content"))
    assert texts == {"Loja 1": "Oi, primeira loja", "Loja 2": "Oi, segunda loja"}
    assert Contact.objects.count() == 1  # one customer wrote to both shops
    event.refresh_from_db()
    assert event.status == InboundEvent.Status.PROCESSED
    assert "999999999999999" in caplog.text  # the unknown number is acknowledged and logged


def test_a_channel_of_a_meta_app_accepts_the_app_s_signature_on_its_own_url(client, meta_app):
    channel = make_channel("Loja 1", meta_app=str(meta_app.uuid))
    channel.credentials = {"access_token": "t"}
    channel.save()

    assert post_to_channel(client, channel, fixture_bytes("text"), secret="app-level-secret").status_code == 200
    assert post_to_channel(client, channel, fixture_bytes("text_forwarded"), secret=APP_SECRET).status_code == 401
    get = client.get(
        f"/webhooks/whatsapp/{channel.uuid}/",
        {"hub.mode": "subscribe", "hub.verify_token": "vt-app", "hub.challenge": "7"},
    )
    assert get.content == b"7"


def test_an_unknown_or_inactive_meta_app_is_not_found(client, meta_app):
    meta_app.is_active = False
    meta_app.save()
    response = post_webhook(
        client, f"/webhooks/whatsapp/app/{meta_app.uuid}/", fixture_bytes("text"), secret="app-level-secret"
    )
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_changes_for_another_number_on_a_channel_url_are_skipped(client, wa_channel):
    post_to_channel(client, wa_channel, fixture_bytes("app_level_three_numbers"))
    services.inbound_drain()

    assert list(Message.objects.values_list("content", flat=True)) == ["Oi, primeira loja"]
