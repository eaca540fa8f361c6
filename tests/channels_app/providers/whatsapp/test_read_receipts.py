"""Blue ticks: an agent opening a conversation queues a read receipt on channels that show them,
never on others, and a refused token flags the channel."""

import pytest

from channels_app import services
from channels_app.models import Channel
from conversations import services as conversation_services
from conversations.models import Conversation
from tests.channels_app.providers.whatsapp.conftest import fixture_bytes, post_to_channel
from tests.factories import conversation_with_customer

pytestmark = pytest.mark.django_db


def test_only_channels_that_mark_read_queue_a_receipt(api_channel, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("core.tasks.run", lambda path, *args: queued.append((path, args)))
    conversation = conversation_with_customer(api_channel)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_services.conversation_mark_read(conversation=conversation, by=None)

    assert Conversation.objects.get().unread_count == 0
    assert queued == []


def test_a_refused_read_receipt_is_logged_and_flags_the_channel(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    conversation = Conversation.objects.get()
    wa_channel.credentials = {**wa_channel.credentials, "access_token": "revoked"}
    wa_channel.save()

    assert services.conversation_read_receipt_send(conversation_id=conversation.pk) is False
    assert Channel.objects.get(pk=wa_channel.pk).status == Channel.Status.NEEDS_RECONNECT


def test_a_read_receipt_goes_for_the_latest_customer_message(client, wa_channel, graph):
    for name in ("text", "text_forwarded"):
        post_to_channel(client, wa_channel, fixture_bytes(name))
    services.inbound_drain()
    conversation = Conversation.objects.get()

    assert services.conversation_read_receipt_send(conversation_id=conversation.pk) is True

    [receipt] = [r.json for r in graph.sandbox.requests if isinstance(r.json, dict) and r.json.get("status") == "read"]
    latest = conversation.messages.order_by("-created_at", "-id").first()
    assert receipt["message_id"] == latest.provider_message_id
