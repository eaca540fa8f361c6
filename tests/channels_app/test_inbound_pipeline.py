"""Inbound: webhook → raw event → drain → contact, conversation, message, assignment, events."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from channels_app import services
from channels_app.models import InboundEvent
from contacts.models import Contact
from conversations.models import Conversation, Message
from core import claims
from tests.helpers import capture_events, inbound_message, post_api_webhook


def test_an_inbound_message_becomes_contact_conversation_and_message(client, api_channel):
    payload = inbound_message("m-1", sender_id="cust-42", text="Meu pedido não chegou", name="Maria Silva")
    payload["from"].update(phone="+55 11 98765-4321", email="Maria@Example.com")
    post_api_webhook(client, api_channel, payload)

    with capture_events() as seen:
        assert services.inbound_drain() == 1

    message = Message.objects.select_related("conversation__contact").get()
    assert message.content == "Meu pedido não chegou"
    assert message.direction == Message.Direction.INBOUND
    assert message.sender_type == Message.SenderType.CONTACT
    assert message.status == Message.Status.RECEIVED
    contact = message.conversation.contact
    assert contact.name == "Maria Silva"
    assert contact.phone == "+5511987654321"
    assert contact.email == "maria@example.com"
    assert {(i.medium, i.address) for i in contact.identities.all()} == {("api", f"{api_channel.uuid}:cust-42")}
    conversation = message.conversation
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.unread_count == 1
    assert conversation.last_message_preview == "Meu pedido não chegou"
    assert [e.name for e in seen] == ["contact.created", "conversation.created", "message.received"]
    assert seen[-1].facts["message_id"] == str(message.uuid)
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


def test_a_second_message_joins_the_open_conversation(client, api_channel):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    post_api_webhook(client, api_channel, inbound_message("m-2", text="Alguém aí?"))

    services.inbound_drain()

    conversation = Conversation.objects.get()
    assert conversation.messages.count() == 2
    assert conversation.unread_count == 2
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("known", [False, True], ids=["new contact", "known contact (batch path)"])
def test_a_nul_character_is_dropped_not_a_reason_to_lose_the_message(client, api_channel, known):
    if known:
        post_api_webhook(client, api_channel, inbound_message("m-0", sender_id="c-1", name="Ana"))
        services.inbound_drain()
    payload = inbound_message("m-1", sender_id="c-1", text="Segue o código: a\u0000b", name="Ana\u0000")
    payload["from"]["email"] = "ana@example.com"

    post_api_webhook(client, api_channel, json.dumps(payload).encode())
    services.inbound_drain()

    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
    message = Message.objects.get(provider_message_id="m-1")
    assert message.content == "Segue o código: ab"
    assert message.conversation.contact.name == "Ana"


def test_a_message_after_resolution_starts_a_new_conversation(client, api_channel):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    services.inbound_drain()
    Conversation.objects.update(status=Conversation.Status.RESOLVED)

    post_api_webhook(client, api_channel, inbound_message("m-2"))
    services.inbound_drain()

    assert Conversation.objects.count() == 2
    assert Conversation.objects.filter(status=Conversation.Status.OPEN).count() == 1


def test_a_processing_crash_half_way_is_retried_and_applied_once(client, api_channel, monkeypatch):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    calls = {"n": 0}
    from conversations import assignment

    original = assignment.conversation_auto_assign

    def crash_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker lost its database connection")
        return original(**kwargs)

    monkeypatch.setattr(assignment, "conversation_auto_assign", crash_once)

    services.inbound_drain()

    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.PENDING
    assert event.attempts == 1
    assert "worker lost its database connection" in event.last_error
    assert event.next_attempt_at > timezone.now()
    assert not Message.objects.exists() and not Contact.objects.exists()  # nothing half-written

    InboundEvent.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    services.inbound_drain()

    event.refresh_from_db()
    assert event.status == InboundEvent.Status.PROCESSED
    assert Message.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_an_event_claimed_by_a_worker_that_died_is_processed_after_its_lease(client, api_channel):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    due = claims.due_or_expired(pending_status="pending", claimed_status="processing")
    claimed = claims.claim_batch(
        InboundEvent.objects.all(), due=due, claimed_status="processing", limit=10, lease_seconds=60
    )
    assert len(claimed) == 1  # ...and this worker dies here

    assert services.inbound_drain() == 0  # still leased: nobody else touches it
    InboundEvent.objects.update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    assert services.inbound_drain() == 1
    assert Message.objects.count() == 1


def test_events_that_keep_failing_are_parked_as_failed(client, api_channel, monkeypatch):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    from conversations import services as conversation_services

    monkeypatch.setattr(conversation_services, "message_receive", lambda **kw: 1 / 0)
    for _ in range(services.INBOUND_MAX_ATTEMPTS):
        InboundEvent.objects.update(next_attempt_at=timezone.now())
        services.inbound_drain()

    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED
    assert "ZeroDivisionError" in event.last_error


def test_a_status_update_for_our_message_id_is_applied(client, api_channel):
    post_api_webhook(client, api_channel, inbound_message("m-1"))
    services.inbound_drain()
    conversation = Conversation.objects.get()
    reply = Message.objects.create(
        conversation=conversation,
        channel=api_channel,
        direction=Message.Direction.OUTBOUND,
        sender_type=Message.SenderType.AGENT,
        content="Já verifico",
        status=Message.Status.SENT,
    )

    post_api_webhook(client, api_channel, {"status": {"message_id": str(reply.uuid), "state": "delivered"}})
    services.inbound_drain()

    reply.refresh_from_db()
    assert reply.status == Message.Status.DELIVERED
    assert reply.delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_five_times_some_concurrently_yields_one_message(api_channel):
    payload = inbound_message("dup-1", text="Só uma vez")
    # Two sequential deliveries, then three at once from separate threads (each its own connection);
    # with sync tasks every delivery also runs a drain, so drains race too.
    for _ in range(2):
        assert post_api_webhook(Client(), api_channel, payload).status_code == 200
    barrier = threading.Barrier(3)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            statuses.append(post_api_webhook(Client(), api_channel, payload).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200, 200]
    services.inbound_drain()
    assert InboundEvent.objects.count() == 1
    assert Message.objects.filter(provider_message_id="dup-1").count() == 1
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_events_carrying_one_message_processed_at_once_yield_one_message(api_channel):
    # The same message reaching us as two distinct events (e.g. two webhook routes): the domain
    # dedupe (unique provider message id per channel) must hold even when two workers race.
    import json

    body = json.dumps(inbound_message("race-1", sender_id="new-contact")).encode()
    for key in ("route-1", "route-2", "route-3"):
        InboundEvent.objects.create(channel=api_channel, kind="api", endpoint="test", dedupe_key=key, body=body)
    barrier = threading.Barrier(3)

    def work(event_id):
        try:
            barrier.wait()
            services.inbound_event_process(event=InboundEvent.objects.select_related("channel").get(pk=event_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(e.pk,)) for e in InboundEvent.objects.all()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.inbound_drain()  # anything that lost a race and was rescheduled

    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert list(InboundEvent.objects.values_list("status", "last_error").distinct()) == [("processed", "")]


def test_a_drain_that_runs_out_of_time_hands_the_rest_to_a_new_task(client, api_channel, monkeypatch):
    from core import tasks

    for i in range(3):
        post_api_webhook(client, api_channel, inbound_message(f"t-{i}", sender_id=f"c{i}"))
    kicked = []
    monkeypatch.setattr(tasks, "kick_now", kicked.append)
    monkeypatch.setattr(services, "DRAIN_SECONDS", -1)  # the budget is already spent

    assert services.inbound_drain() == 0

    assert kicked == ["inbound"]
    assert list(InboundEvent.objects.values_list("status", "attempts", "lease_until").distinct()) == [
        ("pending", 0, None)
    ]
    monkeypatch.setattr(services, "DRAIN_SECONDS", 50)
    assert services.inbound_drain() == 3
