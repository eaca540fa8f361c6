"""The generic webhook view with the `api` channel: verify, store raw, answer."""

import json

from channels_app.models import InboundEvent
from tests.helpers import api_signature, inbound_message, post_api_webhook


def test_a_signed_message_is_stored_raw_and_accepted(client, api_channel):
    response = post_api_webhook(client, api_channel, inbound_message("m-1"))

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    event = InboundEvent.objects.get()
    assert event.channel == api_channel
    assert event.status == InboundEvent.Status.PENDING
    assert json.loads(bytes(event.body))["id"] == "m-1"
    assert event.dedupe_key == "msg:m-1"


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client, api_channel):
    body = json.dumps(inbound_message("m-1")).encode()

    response = post_api_webhook(client, api_channel, body, signature=api_signature("whsec_wrong", body))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not InboundEvent.objects.exists()


def test_a_missing_signature_is_refused(client, api_channel):
    response = client.post(
        f"/webhooks/api/{api_channel.uuid}/", data=json.dumps(inbound_message("m-1")), content_type="application/json"
    )

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_body_altered_after_signing_is_refused(client, api_channel):
    body = json.dumps(inbound_message("m-1")).encode()
    signature = api_signature(api_channel.credentials["secret"], body)

    response = post_api_webhook(client, api_channel, body.replace(b"Ol", b"Xx"), signature=signature)

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_signed_but_malformed_bodies_get_a_400_with_the_reason(client, api_channel):
    cases = {
        b"not json at all": "not valid JSON",
        b"[1, 2]": "JSON object",
        json.dumps({"from": {"id": "c"}, "text": "hi"}).encode(): "`id`",
        json.dumps({"id": "m", "text": "hi"}).encode(): "`from.id`",
        json.dumps({"id": "m", "from": {"id": "c"}}).encode(): "`text` or `attachments`",
        json.dumps({"id": "m", "from": {"id": "c"}, "text": 5}).encode(): "`text` must be a string",
        json.dumps({"id": "m", "from": {"id": "c"}, "text": "x", "timestamp": "yesterday"}).encode(): "ISO 8601",
        json.dumps(
            {"id": "m", "from": {"id": "c"}, "attachments": [{"url": "file:///etc/passwd"}]}
        ).encode(): "http(s)",
        json.dumps({"status": {"message_id": "x", "state": "delivered"}}).encode(): "UUID",
        json.dumps({"status": {"id": "abc", "state": "exploded"}}).encode(): "status.state",
    }
    for body, reason in cases.items():
        response = post_api_webhook(client, api_channel, body)
        assert response.status_code == 400, body
        assert reason in response.json()["error"]["message"], (body, response.json())
    assert not InboundEvent.objects.exists()


def test_an_unknown_or_inactive_channel_is_not_found(client, api_channel):
    api_channel.is_active = False
    api_channel.save()

    response = post_api_webhook(client, api_channel, inbound_message("m-1"))

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_a_get_is_not_a_delivery(client, api_channel):
    response = client.get(f"/webhooks/api/{api_channel.uuid}/")

    assert response.status_code == 405


def test_the_same_delivery_twice_is_one_event(client, api_channel):
    for _ in range(3):
        assert post_api_webhook(client, api_channel, inbound_message("m-1")).status_code == 200

    assert InboundEvent.objects.count() == 1
