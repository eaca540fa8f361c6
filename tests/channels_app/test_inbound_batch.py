"""The batch path of the inbound drain: many plain messages from known contacts in one go,
with the same results and events as one at a time."""

import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app import services
from channels_app.models import InboundEvent
from conversations.models import Conversation, Message
from tests.factories import receive
from tests.helpers import capture_events, inbound_message


def _queue(channel, payloads):
    for payload in payloads:
        InboundEvent.objects.create(
            channel=channel,
            kind="api",
            endpoint=f"channel:{channel.uuid}",
            dedupe_key=f"msg:{payload['id']}",
            body=json.dumps(payload).encode(),
        )


@pytest.mark.django_db
def test_known_contacts_messages_are_stored_in_one_batch_with_their_events(api_channel):
    known = receive(api_channel, sender_id="ana", name="Ana").conversation
    Conversation.objects.filter(pk=known.pk).update(unread_count=0, waiting_since=None)
    _queue(api_channel, [inbound_message(f"b-{i}", sender_id="ana", text=f"parte {i}", name="Ana") for i in range(3)])

    with capture_events() as seen:
        assert services.inbound_drain() == 3

    known.refresh_from_db()
    assert list(
        known.messages.filter(provider_message_id__startswith="b-")
        .order_by("created_at", "id")
        .values_list("content", flat=True)
    ) == ["parte 0", "parte 1", "parte 2"]
    assert known.unread_count == 3
    assert known.last_message_preview == "parte 2"
    assert known.waiting_since is not None
    assert [e.name for e in seen] == ["message.received"] * 3
    assert {e.facts["conversation_id"] for e in seen} == {str(known.uuid)}
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_ten_or_fifty_messages(api_channel):
    for name in ("ana", "bia"):
        receive(api_channel, sender_id=name, name=name.title())

    def drain(count, prefix):
        _queue(
            api_channel,
            [inbound_message(f"{prefix}-{i}", sender_id=("ana", "bia")[i % 2], name="x") for i in range(count)],
        )
        with CaptureQueriesContext(connection) as ctx:
            assert services.inbound_drain() == count
        return len(ctx)

    assert drain(10, "few") == drain(50, "many")
    assert Message.objects.filter(provider_message_id__startswith="many-").count() == 50


@pytest.mark.django_db
def test_duplicates_in_and_across_batches_are_stored_once(api_channel):
    receive(api_channel, sender_id="ana", name="Ana", msg_id="already-here")
    payloads = [
        inbound_message("already-here", sender_id="ana", name="Ana"),
        inbound_message("twice", sender_id="ana", name="Ana"),
    ]
    _queue(api_channel, payloads)
    InboundEvent.objects.create(
        channel=api_channel,
        kind="api",
        endpoint="another-route",
        dedupe_key="msg:twice",
        body=json.dumps(payloads[1]).encode(),
    )

    assert services.inbound_drain() == 3

    assert Message.objects.filter(provider_message_id="already-here").count() == 1
    assert Message.objects.filter(provider_message_id="twice").count() == 1
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db
def test_what_the_batch_cannot_do_goes_one_at_a_time(client, api_channel):
    pending = receive(api_channel, sender_id="pendente", name="P").conversation
    Conversation.objects.filter(pk=pending.pk).update(status=Conversation.Status.PENDING)
    receive(api_channel, sender_id="sem-nome", name="")
    from contacts.models import Contact

    Contact.objects.filter(name="sem-nome").update(name="")
    _queue(
        api_channel,
        [
            inbound_message("n-1", sender_id="novo", name="Novo"),  # unknown contact
            inbound_message("p-1", sender_id="pendente", name="P"),  # pending: reopens
            inbound_message("s-1", sender_id="sem-nome", name="Agora Tem Nome"),  # fills the name
        ],
    )

    with capture_events() as seen:
        assert services.inbound_drain() == 3

    pending.refresh_from_db()
    assert pending.status == Conversation.Status.OPEN
    assert "conversation.status_changed" in [e.name for e in seen]
    assert Contact.objects.filter(name="Agora Tem Nome").exists()
    assert Conversation.objects.filter(contact__name="Novo").count() == 1


@pytest.mark.django_db
def test_a_failing_batch_falls_back_to_one_event_at_a_time(api_channel, monkeypatch):
    receive(api_channel, sender_id="ana", name="Ana")
    _queue(api_channel, [inbound_message(f"f-{i}", sender_id="ana", name="Ana") for i in range(3)])
    from conversations import services as conversation_services

    def broken(**kwargs):
        raise RuntimeError("batch path broke")

    monkeypatch.setattr(conversation_services, "messages_receive_known", broken)

    assert services.inbound_drain() == 3
    assert Message.objects.filter(provider_message_id__startswith="f-").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_the_same_contacts_at_once_neither_deadlock_nor_duplicate(api_channel):
    names = [f"c{i}" for i in range(6)]
    for name in names:
        receive(api_channel, sender_id=name, name=name)
    payloads = [inbound_message(f"w-{i}", sender_id=names[i % 6], name="x") for i in range(120)]
    _queue(api_channel, payloads)
    # Duplicates under other routes, so both workers see copies of the same messages.
    for payload in payloads[::3]:
        InboundEvent.objects.create(
            channel=api_channel,
            kind="api",
            endpoint="copy",
            dedupe_key=f"msg:{payload['id']}",
            body=json.dumps(payload).encode(),
        )
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            services.inbound_drain()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.inbound_drain()

    assert errors == []
    assert Message.objects.filter(provider_message_id__startswith="w-").count() == 120
    assert InboundEvent.objects.exclude(status="processed").count() == 0
    assert sum(Conversation.objects.values_list("unread_count", flat=True)) == 120 + 6
