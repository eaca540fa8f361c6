"""Delivery statuses only move forward; `failed` is terminal; early statuses wait for the send."""

import pytest

from channels_app.adapters import SendResult, StatusUpdate
from conversations import services
from conversations.models import Message
from tests.factories import conversation_with_customer, reply
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db


def _sent(channel, provider_id="prov-1") -> Message:
    message = reply(conversation_with_customer(channel))
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)
    services.message_mark_sent(message=message, result=SendResult(provider_message_id=provider_id))
    message.refresh_from_db()
    return message


def _apply(channel, state, provider_id="prov-1", **kw):
    return services.message_status_apply(
        channel=channel, update=StatusUpdate(state=state, provider_message_id=provider_id, **kw)
    )


def test_statuses_advance_in_order(api_channel):
    message = _sent(api_channel)

    with capture_events() as seen:
        assert _apply(api_channel, "delivered")
        assert _apply(api_channel, "read")

    message.refresh_from_db()
    assert message.status == Message.Status.READ
    assert message.delivered_at and message.read_at
    assert [e.name for e in seen] == ["message.delivered", "message.read"]


def test_a_late_delivered_after_read_does_not_regress(api_channel):
    message = _sent(api_channel)
    _apply(api_channel, "read")

    assert not _apply(api_channel, "delivered")
    assert not _apply(api_channel, "sent")

    message.refresh_from_db()
    assert message.status == Message.Status.READ


def test_failed_is_terminal(api_channel):
    message = _sent(api_channel)

    assert _apply(api_channel, "failed", error="Número inválido", error_code="131026")
    assert not _apply(api_channel, "delivered")
    assert not _apply(api_channel, "read")

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_reason == "Número inválido"
    assert message.error_code == "131026"


def test_failed_does_not_undo_a_delivery(api_channel):
    message = _sent(api_channel)
    _apply(api_channel, "delivered")

    assert not _apply(api_channel, "failed", error="late")

    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_statuses_that_arrive_before_the_send_returns_are_applied_when_it_does(api_channel):
    message = reply(conversation_with_customer(api_channel))
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)

    # The provider is faster than its own API answer:
    assert not _apply(api_channel, "read", provider_id="early-1")
    assert not _apply(api_channel, "delivered", provider_id="early-1")
    services.message_mark_sent(message=message, result=SendResult(provider_message_id="early-1"))

    message.refresh_from_db()
    assert message.status == Message.Status.READ
    assert message.delivered_at and message.read_at


def test_a_status_for_another_channels_message_is_ignored(api_channel, personas):
    message = _sent(api_channel)

    assert not services.message_status_apply(
        channel=personas.channel_a, update=StatusUpdate(state="read", message_uuid=str(message.uuid))
    )
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
