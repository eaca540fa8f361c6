"""API-MSG: listing and sending messages, files checked by content, editing notes and queued
messages, marking read, and Idempotency-Key (a retry never sends the customer a message twice)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts import services as account_services
from channels_app import services as channel_services
from conversations.models import Message
from tests.api.conftest import error_of
from tests.factories import conversation_with_customer, receive, reply
from tests.fakes.callback_server import CallbackServer
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def conversation(personas):
    return conversation_with_customer(personas.channel_a, sender_id="cust-1")


def test_sending_queues_the_message_on_the_channel_and_publishes(api, personas, conversation):
    with capture_events() as seen:
        response = api.as_user(personas.agent_a).post(
            f"/conversations/{conversation.uuid}/messages", {"content": "Seu pedido saiu"}
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["direction"], body["private"]) == ("queued", "outbound", False)
    assert body["sender"] == {"type": "agent", "id": str(personas.agent_a.uuid), "name": "Ana"}
    message = Message.objects.get(uuid=body["id"])
    assert message.sender_user == personas.agent_a
    assert [e.name for e in seen] == ["message.created"]


def test_the_same_message_posted_twice_with_one_key_is_created_and_sent_once(api, personas, conversation, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with CallbackServer(secret=personas.channel_a.credentials["secret"]) as crm:
        personas.channel_a.settings["callback_url"] = crm.url
        personas.channel_a.save()
        ana = api.as_user(personas.agent_a)
        key = {"Idempotency-Key": "retry-7f3a"}
        path = f"/conversations/{conversation.uuid}/messages"

        first = ana.post(path, {"content": "Pagamento confirmado"}, headers=key)
        again = ana.post(path, {"content": "Pagamento confirmado"}, headers=key)
        channel_services.outbound_drain()

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert Message.objects.filter(content="Pagamento confirmado").count() == 1
        assert len(crm.received) == 1  # the customer got it once


def test_the_same_key_with_another_body_is_a_422(api, personas, conversation):
    ana = api.as_user(personas.agent_a)
    path = f"/conversations/{conversation.uuid}/messages"
    ana.post(path, {"content": "um"}, headers={"Idempotency-Key": "k1"})

    response = ana.post(path, {"content": "dois"}, headers={"Idempotency-Key": "k1"})

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert not Message.objects.filter(content="dois").exists()


def test_keys_are_scoped_to_the_caller(api, personas, conversation):
    path = f"/conversations/{conversation.uuid}/messages"
    admin_key, raw = account_services.api_key_create(name="crm", user=personas.admin, created_by=None)
    api.as_user(personas.agent_a).post(path, {"content": "de Ana"}, headers={"Idempotency-Key": "same"})
    api.token = api.post("/auth/token", {"api_key": raw}).json()["access"]

    response = api.post(path, {"content": "do CRM"}, headers={"Idempotency-Key": "same"})

    assert response.status_code == 201
    assert Message.objects.filter(content__in=["de Ana", "do CRM"]).count() == 2


def test_a_refused_send_keeps_no_idempotency_record_so_a_fixed_retry_works(api, personas, conversation):
    ana = api.as_user(personas.agent_a)
    path = f"/conversations/{conversation.uuid}/messages"

    refused = ana.post(path, {"content": "x", "content_type": "location"}, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "policy_violation"

    # Another body with the same key: the failed attempt left nothing behind.
    assert ana.post(path, {"content": "x"}, headers={"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_create_one_message(personas):
    conversation = conversation_with_customer(personas.channel_a)
    token = account_services.api_session_start(user=personas.agent_a).access
    barrier = threading.Barrier(2)
    statuses = []

    def post():
        try:
            barrier.wait()
            response = Client().post(
                f"/api/v1/conversations/{conversation.uuid}/messages",
                data='{"content": "só uma vez"}',
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race"},
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201, 201]
    assert Message.objects.filter(content="só uma vez").count() == 1


def test_files_are_typed_by_their_content(api, personas, conversation):
    disguised = SimpleUploadedFile("invoice.pdf", PNG, content_type="application/pdf")
    response = api.as_user(personas.agent_a).client.post(
        f"/api/v1/conversations/{conversation.uuid}/messages",
        {"files": [disguised]},
        headers={"Authorization": f"Bearer {api.as_user(personas.agent_a).token}"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image"
    [attachment] = body["attachments"]
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == (
        "invoice.pdf",
        "image/png",
        len(PNG),
    )
    assert attachment["url"].startswith("http://testserver/attachments/")


def test_messages_are_listed_in_time_order_with_cursor_pages(api, personas, conversation):
    for n in range(4):
        reply(conversation, agent=personas.agent_a, text=f"r{n}")
    ana = api.as_user(personas.agent_a)

    first = ana.get(f"/conversations/{conversation.uuid}/messages", {"limit": 3}).json()
    second = ana.get(
        f"/conversations/{conversation.uuid}/messages", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()

    contents = [m["content"] for m in first["results"] + second["results"] if m["content_type"] != "activity"]
    assert contents == ["Olá", "r0", "r1", "r2", "r3"]
    assert len(first["results"]) == 3
    assert second["next"] is None
    newest = ana.get(f"/conversations/{conversation.uuid}/messages", {"order": "desc", "limit": 1}).json()
    assert newest["results"][0]["content"] == "r3"


def test_a_private_note_can_be_edited(api, personas, conversation):
    note = reply(conversation, agent=personas.agent_a, text="rascunho", private=True)

    response = api.as_user(personas.agent_a).put(f"/messages/{note.uuid}", {"content": "versão final"})

    assert response.status_code == 200
    assert response.json()["content"] == "versão final"


def test_a_queued_message_can_be_edited_but_not_once_it_is_on_its_way(api, personas, conversation):
    message = reply(conversation, agent=personas.agent_a, text="typo")
    ana = api.as_user(personas.agent_a)
    assert ana.put(f"/messages/{message.uuid}", {"content": "fixed"}).status_code == 200

    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT)
    response = ana.put(f"/messages/{message.uuid}", {"content": "too late"})

    assert response.status_code == 422
    message.refresh_from_db()
    assert message.content == "fixed"


def test_a_message_being_sent_meanwhile_is_a_409(api, personas, conversation, monkeypatch):
    message = reply(conversation, agent=personas.agent_a, text="typo")
    from conversations import services

    original = services.message_edit

    def racing_edit(**kwargs):  # the outbound worker claims it just before our update
        Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)
        return original(**kwargs)

    monkeypatch.setattr(services, "message_edit", racing_edit)
    response = api.as_user(personas.agent_a).put(f"/messages/{message.uuid}", {"content": "late"})

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


def test_marking_a_customer_message_read_lowers_the_unread_count(api, personas, conversation):
    older = conversation.messages.get(direction="in")
    newest = receive(personas.channel_a, sender_id="cust-1", text="outra")
    conversation.refresh_from_db()
    assert conversation.unread_count == 2
    ana = api.as_user(personas.agent_a)

    assert ana.put(f"/messages/{older.uuid}", {"read": True}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.unread_count == 1

    assert ana.patch(f"/messages/{newest.uuid}", {"read": True}).json()["read_at"] is not None
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_an_outgoing_message_cannot_be_marked_read(api, personas, conversation):
    message = reply(conversation, agent=personas.agent_a)

    response = api.as_user(personas.agent_a).put(f"/messages/{message.uuid}", {"read": True})

    assert response.status_code == 422


def test_an_empty_update_is_a_400(api, personas, conversation):
    response = api.as_user(personas.agent_a).put(f"/messages/{conversation.messages.get(direction='in').uuid}", {})

    assert response.status_code == 400


def test_a_key_is_kept_24_hours_then_forgotten(api, personas, conversation):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import IdempotencyRecord
    from accounts.services import api_records_prune

    ana = api.as_user(personas.agent_a)
    path = f"/conversations/{conversation.uuid}/messages"
    ana.post(path, {"content": "lembrete"}, headers={"Idempotency-Key": "daily"})
    record = IdempotencyRecord.objects.get()
    assert timedelta(hours=23, minutes=59) < record.expires_at - timezone.now() <= timedelta(hours=24)

    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = ana.post(path, {"content": "lembrete"}, headers={"Idempotency-Key": "daily"})

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Message.objects.filter(content="lembrete").count() == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_records_prune() >= 1
    assert not IdempotencyRecord.objects.exists()


def test_a_file_with_only_blank_text_is_typed_as_the_console_types_it(api, personas, conversation):
    photo = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
    response = api.as_user(personas.agent_a).client.post(
        f"/api/v1/conversations/{conversation.uuid}/messages",
        {"files": [photo], "content": "   "},
        headers={"Authorization": f"Bearer {api.as_user(personas.agent_a).token}"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image"
