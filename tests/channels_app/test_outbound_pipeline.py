"""Outbound: queued message → drain → `api` channel callback over real HTTP → sent/failed."""

import pytest
from django.test import override_settings
from django.utils import timezone

from channels_app import services
from channels_app.models import Channel
from conversations.models import Message
from monitoring.models import ApiCall
from tests.factories import conversation_with_customer, reply
from tests.fakes.callback_server import CallbackServer, Reply
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(api_channel):
    with CallbackServer(secret=api_channel.credentials["secret"]) as server:
        api_channel.settings["callback_url"] = server.url
        api_channel.save()
        yield server


def _due_now():
    Message.objects.filter(status=Message.Status.QUEUED).update(next_attempt_at=timezone.now())


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_a_reply_reaches_the_callback_signed_and_is_marked_sent(api_channel, receiver):
    receiver.script = [Reply(200, {"id": "crm-77"})]
    conversation = conversation_with_customer(api_channel, sender_id="cust-9")
    message = reply(conversation, text="Seu pedido saiu para entrega")

    with capture_events() as seen:
        assert services.outbound_drain() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == "crm-77"
    assert message.sent_at is not None
    [request] = receiver.received
    body = request.json()
    assert body["message_id"] == str(message.uuid)
    assert body["conversation_id"] == str(conversation.uuid)
    assert body["recipient"]["id"] == "cust-9"
    assert body["content"] == "Seu pedido saiu para entrega"
    assert request.headers["webhook-id"] in receiver.accepted  # verified by standardwebhooks
    # A new channel's first success also shows it connected ("Not checked yet" before).
    assert [e.name for e in seen] == ["message.sent", "channel.status_changed"]
    api_channel.refresh_from_db()
    assert api_channel.status == Channel.Status.OK
    call = ApiCall.objects.get()
    assert (call.provider, call.operation, call.status_code, call.reference) == (
        "api",
        "send_message",
        200,
        str(message.uuid),
    )


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True, HTTP_TIMEOUT_SECONDS=0.5)
def test_a_timeout_is_retried_and_the_peer_gets_the_message_exactly_once(api_channel, receiver):
    # The first attempt arrives but answers too late: the receiver has it, we don't know that.
    receiver.script = [Reply(200, {"id": "crm-1"}, delay=1.5), Reply(200, {"id": "crm-1"})]
    message = reply(conversation_with_customer(api_channel))

    services.outbound_drain()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "Will retry" in message.error_reason and "timeout" in message.error_reason
    assert message.next_attempt_at > timezone.now()

    _due_now()
    services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert len(receiver.accepted) == 1  # the receiver acted on it once


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_a_server_error_is_retried_until_it_goes_through(api_channel, receiver):
    receiver.script = [Reply(503, "maintenance"), Reply(500, "oops"), Reply(200, {})]
    message = reply(conversation_with_customer(api_channel))

    for _ in range(3):
        services.outbound_drain()
        _due_now()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 3
    assert message.error_reason == ""


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_a_permanent_refusal_fails_the_message_with_a_readable_reason(api_channel, receiver):
    receiver.script = [Reply(422, "recipient cust-1 is blocked in the CRM")]
    message = reply(conversation_with_customer(api_channel))

    with capture_events() as seen:
        services.outbound_drain()
    _due_now()
    services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "refused the message (422)" in message.error_reason
    assert "recipient cust-1 is blocked in the CRM" in message.error_reason
    assert len(receiver.received) == 1  # permanent: never retried
    assert [e.name for e in seen] == ["message.failed"]


def test_a_callback_to_a_private_address_is_refused_without_calling_it(api_channel, receiver):
    message = reply(conversation_with_customer(api_channel))

    services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "private, loopback or link-local" in message.error_reason
    assert receiver.received == []


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_an_agent_retry_of_a_failed_message_is_a_new_attempt(api_channel, receiver):
    from conversations.services import message_retry

    receiver.script = [Reply(400, "bad"), Reply(200, {"id": "ok-2"})]
    message = reply(conversation_with_customer(api_channel))
    services.outbound_drain()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED

    message_retry(message=message, by=None)
    services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert receiver.received[0].headers["webhook-id"] != receiver.received[1].headers["webhook-id"]


def test_private_notes_are_never_sent(api_channel, receiver):
    note = reply(conversation_with_customer(api_channel), text="só para a equipe", private=True)

    assert services.outbound_drain() == 0
    note.refresh_from_db()
    assert note.status == Message.Status.NOTE
    assert receiver.received == []


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_a_channel_in_error_recovers_on_the_next_successful_send(api_channel, receiver):
    Channel.objects.filter(pk=api_channel.pk).update(status=Channel.Status.ERROR, last_error="earlier")
    message = reply(conversation_with_customer(api_channel))

    services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert Channel.objects.get(pk=api_channel.pk).status == Channel.Status.OK
