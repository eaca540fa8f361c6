"""The whole WhatsApp flow with committed transactions, the real task path (django-q in sync
mode), Redis as channel layer and the Graph sandbox over real HTTP: a customer writes, an agent
sees it live and answers, Meta's statuses move the reply to read; and statuses that arrive
before Meta answered the send call."""

import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client

from accounts import services as account_services
from channels_app.models import InboundEvent, PendingStatus
from conversations import services as conversation_services
from conversations.consumers import ConsoleConsumer
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import (
    CUSTOMER_E164,
    CUSTOMER_WA_ID,
    deliver_outbox,
    fixture_bytes,
    post_to_channel,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent(wa_channel):
    user = account_services.user_create(
        username="ana", email="ana@example.com", password="pw-ana-123", first_name="Ana", availability="online"
    )
    account_services.inbox_member_add(channel=wa_channel, user=user)
    return user


async def _events_until(communicator, name: str, *, limit: int = 20) -> list[dict]:
    seen = []
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        seen.append(frame)
        if frame.get("event") == name:
            return seen
    raise AssertionError(f"{name} never arrived; got {[f.get('event') for f in seen]}")


def _run_async(scenario):
    """Run the scenario in its own thread: the main thread may already host an event loop (the
    browser tests' Playwright), where async_to_sync refuses to run."""
    outcome = {}

    def target():
        try:
            outcome["value"] = async_to_sync(scenario)()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_customer_message_reaches_the_agent_live_and_the_reply_reaches_meta_and_is_read(wa_channel, agent, graph):
    client = Client()

    async def scenario():
        communicator = WebsocketCommunicator(ConsoleConsumer.as_asgi(), "/ws/console/")
        communicator.scope["user"] = agent
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"

        # Meta posts the customer's message; the webhook stores it and the drain applies it.
        response = await sync_to_async(post_to_channel)(client, wa_channel, fixture_bytes("text"))
        assert response.status_code == 200
        frames = await _events_until(communicator, "message.received")
        received = frames[-1]["data"]  # ids only: the console fetches what it shows
        inbound = await sync_to_async(Message.objects.select_related("conversation").get)(
            direction=Message.Direction.INBOUND
        )
        assert inbound.content == "Olá! Meu pedido #4521 ainda não chegou."
        assert received["message_id"] == str(inbound.uuid)
        assert received["channel_id"] == str(wa_channel.uuid)

        conversation = inbound.conversation
        assert received["conversation_id"] == str(conversation.uuid)
        conversation = await sync_to_async(Conversation.objects.select_related("contact").get)()
        assert conversation.assignee_id == agent.pk
        assert conversation.contact.name == "Maria Silva"
        assert conversation.contact.phone == CUSTOMER_E164

        # The agent answers: queued, sent by the outbound drain to the Graph API.
        reply = await sync_to_async(conversation_services.message_send)(
            conversation=conversation, draft=conversation_services.Draft(content="Oi Maria! Já verifico."), sender=agent
        )
        await _events_until(communicator, "message.sent")
        [request] = graph.sent()
        assert request.json == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": CUSTOMER_WA_ID,
            "type": "text",
            "text": {"body": "Oi Maria! Já verifico.", "preview_url": False},
        }

        # Meta's signed status webhooks: sent, delivered, read.
        responses = await sync_to_async(deliver_outbox)(client, wa_channel, graph)
        assert [r.status_code for r in responses] == [200, 200, 200]
        frames = await _events_until(communicator, "message.read")
        assert "message.delivered" in [f.get("event") for f in frames]
        assert frames[-1]["data"]["message_id"] == str(reply.uuid)
        await communicator.disconnect()
        return reply

    reply = _run_async(scenario)

    reply.refresh_from_db()
    assert reply.status == Message.Status.READ
    assert reply.delivered_at and reply.read_at
    assert InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == 4


def test_opening_the_conversation_marks_the_customer_s_messages_read_at_meta(wa_channel, agent, graph):
    post_to_channel(Client(), wa_channel, fixture_bytes("text"))
    conversation = Conversation.objects.get()
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)

    conversation_services.conversation_mark_read(conversation=conversation, by=agent)

    [request] = [r for r in graph.sandbox.requests if isinstance(r.json, dict) and r.json.get("status") == "read"]
    assert request.path == f"/v24.0/{wa_channel.settings['phone_number_id']}/messages"
    assert request.json == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": inbound.provider_message_id,
    }
    conversation_services.conversation_mark_read(conversation=conversation, by=agent)  # nothing unread: no call
    assert len([r for r in graph.sandbox.requests if isinstance(r.json, dict) and r.json.get("status") == "read"]) == 1


def test_statuses_that_arrive_before_the_send_call_returns_are_applied(wa_channel, agent, graph):
    post_to_channel(Client(), wa_channel, fixture_bytes("text"))
    conversation = Conversation.objects.get()
    early = {}

    def meta_posts_statuses_before_answering(webhooks):
        # Runs in the sandbox's server thread while our worker waits for the send's answer.
        try:
            client = Client()
            for webhook in webhooks:
                assert post_to_channel(client, wa_channel, webhook.body).status_code == 200
            early["pending"] = sorted(PendingStatus.objects.values_list("state", flat=True))
            early["message_status"] = Message.objects.get(sender_type=Message.SenderType.AGENT).status
        finally:
            connection.close()

    graph.on_webhooks = meta_posts_statuses_before_answering

    reply = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content="Chega amanhã"), sender=agent
    )

    assert early == {"pending": ["delivered", "read", "sent"], "message_status": Message.Status.SENDING}
    reply.refresh_from_db()
    assert reply.status == Message.Status.READ
    assert reply.delivered_at and reply.read_at
    assert not PendingStatus.objects.exists()


def test_a_131047_reported_by_status_after_a_200_fails_the_message_with_its_reason(wa_channel, agent, graph):
    from channels_app.providers.whatsapp import sandbox

    client = Client()
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    conversation = Conversation.objects.get()
    graph.sandbox.script.append(sandbox.Scripted(131047, "Re-engagement message", "more than 24 hours"))

    reply = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content="Oi"), sender=agent
    )
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT  # Meta said 200
    deliver_outbox(client, wa_channel, graph)

    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert reply.error_reason == "More than 24 hours since the customer last wrote: send an approved template."
    assert reply.error_code == "131047"
