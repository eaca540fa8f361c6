"""API-WEBHOOK delivery: the seed's payload, signed so a Standard Webhooks library verifies it,
retried on 5xx and timeouts, given up on 4xx, the subscription disabled after 3 failing days,
every attempt in the log, manual redelivery."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Notification
from conversations.services import conversation_set_status
from tests.factories import conversation_with_customer, receive
from tests.fakes.callback_server import CallbackServer, Reply
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_private_urls")]


@pytest.fixture
def allow_private_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver listens on loopback


@pytest.fixture
def receiver():
    with CallbackServer() as server:
        yield server


@pytest.fixture
def subscription(personas, receiver):
    subscription = services.subscription_register(owner=personas.admin, url=receiver.url, events=["*"])
    receiver.secret = subscription.secret
    return subscription


def _due_now():
    WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).update(next_attempt_at=timezone.now())


def test_a_received_message_arrives_in_the_seed_shape_and_verifies(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    message = receive(personas.channel_a, sender_id="cust-7", text="Meu pedido não chegou")

    assert services.deliveries_drain() == 1

    [request] = receiver.received
    assert request.headers["webhook-id"] in receiver.accepted  # verified by `standardwebhooks`
    body = request.json()
    assert set(body) == {"event", "timestamp", "data"}
    assert body["event"] == "message.received"
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    assert data["conversation_id"] == str(message.conversation.uuid)
    assert data["message_id"] == str(message.uuid)
    assert data["sender"] == {"type": "contact", "id": str(message.conversation.contact.uuid)}
    assert data["content"] == "Meu pedido não chegou"
    assert data["channel"] == "api"  # the medium
    assert data["channel_id"] == str(personas.channel_a.uuid)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200


def test_only_the_events_a_subscription_asked_for_are_sent(personas, subscription, receiver):
    subscription.events = ["conversation.status_changed"]
    subscription.save()
    conversation = conversation_with_customer(personas.channel_a)
    conversation_set_status(conversation=conversation, status="resolved", by=personas.admin)

    services.deliveries_drain()

    assert [r.json()["event"] for r in receiver.received] == ["conversation.status_changed"]
    data = receiver.received[0].json()["data"]
    assert (data["status"], data["previous_status"]) == ("resolved", "open")


def test_a_server_error_is_retried_with_backoff_and_the_same_webhook_id(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(500, "oops"), Reply(503, "busy"), Reply(200)]
    receive(personas.channel_a)

    services.deliveries_drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=5) < first_wait <= timedelta(seconds=10)
    assert services.deliveries_drain() == 0  # not due yet: nothing is sent
    assert len(receiver.received) == 1

    _due_now()
    services.deliveries_drain()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - timezone.now() > first_wait  # the wait grows
    _due_now()
    services.deliveries_drain()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert delivery.attempt_log.first().response_excerpt == "oops"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.accepted) == 1
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.last_success_at is not None


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_a_timeout_is_retried(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(200, delay=1.5), Reply(200)]
    receive(personas.channel_a)

    services.deliveries_drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None and "timeout" in attempt.error

    _due_now()
    services.deliveries_drain()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert len(receiver.accepted) == 1  # the receiver acts once, whatever it saw


@pytest.mark.parametrize("code, retried", [(400, False), (401, False), (404, False), (408, True), (429, True)])
def test_4xx_is_final_except_408_and_429(personas, subscription, receiver, code, retried):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(code, "no")]
    receive(personas.channel_a)

    services.deliveries_drain()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == (WebhookDelivery.Status.PENDING if retried else WebhookDelivery.Status.FAILED)
    assert delivery.last_status_code == code


@pytest.mark.parametrize(
    "header, expected_wait",
    [
        ("3600", timedelta(hours=1)),
        ("in two hours, as an HTTP date", timedelta(hours=2)),
        ("999999999", timedelta(seconds=services.BACKOFF_MAX_SECONDS)),  # capped
        ("2", timedelta(seconds=10)),  # never sooner than our own backoff
        ("soon", timedelta(seconds=10)),  # unreadable: our backoff
    ],
)
def test_a_throttling_receivers_retry_after_is_honoured(personas, subscription, receiver, header, expected_wait):
    subscription.events = ["message.received"]
    subscription.save()
    if header.startswith("in two hours"):
        header = (timezone.now() + timedelta(hours=2)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    receiver.script = [Reply(429, "slow down", headers={"Retry-After": header})]
    receive(personas.channel_a)

    services.deliveries_drain()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    wait = delivery.next_attempt_at - timezone.now()
    assert expected_wait - timedelta(seconds=10) < wait <= expected_wait


def test_a_subscription_failing_for_three_days_is_disabled_and_its_owner_told(
    personas, subscription, receiver, django_capture_on_commit_callbacks
):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(500)] * 3
    receive(personas.channel_a)
    services.deliveries_drain()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )
    _due_now()

    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_drain()

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "3 days" in subscription.disabled_reason
    notice = Notification.objects.get(user=personas.admin)
    assert subscription.url in notice.title
    assert [m.to for m in mail.outbox] == [[personas.admin.email]]
    # Later events are not even queued, and what was pending fails without a call.
    receive(personas.channel_a, sender_id="someone-else")
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_that_keeps_failing_gives_up_after_its_window(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(502)] * 2
    receive(personas.channel_a)
    WebhookDelivery.objects.update(give_up_at=timezone.now() + timedelta(seconds=5))

    services.deliveries_drain()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    subscription.refresh_from_db()
    assert not subscription.is_active  # it never succeeded in its whole window


def test_410_gone_disables_the_subscription_at_once(personas, subscription, receiver):
    receiver.script = [Reply(410, "gone")]
    receive(personas.channel_a)

    services.deliveries_drain()

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason


def test_manual_redelivery_sends_the_same_webhook_again(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(400, "bad")]
    receive(personas.channel_a)
    services.deliveries_drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED

    services.delivery_redeliver(delivery=delivery)
    services.deliveries_drain()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempt_log.count() == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert receiver.received[0].body == receiver.received[1].body


def test_the_outbox_row_exists_only_if_the_change_commits(personas, subscription):
    with pytest.raises(RuntimeError), transaction.atomic():
        receive(personas.channel_a)
        assert WebhookDelivery.objects.exists()  # written inside the publishing transaction
        raise RuntimeError("the change fails after the event was published")

    assert not WebhookDelivery.objects.exists()


def test_an_agents_subscription_gets_only_its_inboxes_events(personas, receiver):
    mine = services.subscription_register(owner=personas.agent_a, url=receiver.url, events=["*"])
    theirs = services.subscription_register(owner=personas.agent_b, url=receiver.url, events=["*"])

    receive(personas.channel_a)

    assert set(WebhookDelivery.objects.values_list("subscription", flat=True)) == {mine.pk}
    assert not WebhookDelivery.objects.filter(subscription=theirs).exists()
    # Contact events belong to no inbox: administrators only.
    assert not WebhookDelivery.objects.filter(event="contact.created").exists()


def test_a_target_that_now_resolves_to_a_private_address_is_not_called(personas, monkeypatch, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    subscription = services.subscription_register(
        owner=personas.admin, url="https://hooks.example.com/in", events=["message.received"]
    )
    private = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: private)  # DNS changed since
    receive(personas.channel_a)

    services.deliveries_drain()

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "private" in delivery.last_error


def test_once_disabled_the_rest_of_the_batch_is_not_sent(personas, subscription, receiver):
    subscription.events = ["message.received"]
    subscription.save()
    receiver.script = [Reply(410, "gone")]
    receive(personas.channel_a, sender_id="one")
    receive(personas.channel_a, sender_id="two")

    services.deliveries_drain()

    assert len(receiver.received) == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.FAILED}
