"""Settings → Webhooks in the console: subscribe (secret shown once), the delivery log with its
attempts, manual redelivery, enabling a disabled subscription; administrators only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import receive
from tests.fakes.callback_server import CallbackServer, Reply
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_subscribing_shows_the_secret_once(client, personas, public_dns):
    client.force_login(personas.admin)

    response = client.post("/settings/webhooks/", {"url": "https://crm.example.com/in", "events": ["message.received"]})

    # Post/Redirect/Get: reloading the page after subscribing must not subscribe twice.
    assert response.status_code in (302, 303) and response["Location"] == "/settings/webhooks/"
    subscription = WebhookSubscription.objects.get()
    assert subscription.owner == personas.admin and subscription.events == ["message.received"]
    shown = client.get(response["Location"])
    assert shown["Cache-Control"] == "no-store"
    assert subscription.secret.encode() in shown.content
    assert "Copy its signing secret now" in shown.content.decode()
    again = client.get("/settings/webhooks/")
    assert subscription.secret.encode() not in again.content
    assert "Copy its signing secret now" not in again.content.decode()
    assert WebhookSubscription.objects.count() == 1


def test_the_signing_secret_is_never_written_to_the_log(client, personas, public_dns, caplog):
    client.force_login(personas.admin)

    with caplog.at_level("DEBUG"):
        client.post(
            "/settings/webhooks/", {"url": "https://crm.example.com/in", "events": ["message.received"]}, follow=True
        )

    assert WebhookSubscription.objects.get().secret not in caplog.text


def test_a_private_url_is_refused_on_the_form(client, personas, public_dns):
    client.force_login(personas.admin)

    response = client.post("/settings/webhooks/", {"url": "http://169.254.169.254/latest"})

    assert response.status_code == 200
    assert "private, loopback or link-local" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_log_shows_attempts_and_redelivery_sends_again(client, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with CallbackServer() as receiver:
        subscription = services.subscription_register(
            owner=personas.admin, url=receiver.url, events=["message.received"]
        )
        receiver.secret = subscription.secret
        receiver.script = [Reply(400, "unknown customer")]
        receive(personas.channel_a)
        services.deliveries_drain()
        delivery = WebhookDelivery.objects.get()
        client.force_login(personas.admin)

        page = client.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()
        assert delivery.webhook_id in page and "unknown customer" in page and "400" in page

        assert client.post(f"/settings/webhooks/deliveries/{delivery.uuid}/redeliver/").status_code == 302
        services.deliveries_drain()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert len(receiver.accepted) == 1


def test_a_disabled_subscription_can_be_enabled_again(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    services.subscription_disable(subscription=subscription, reason="it failed for 3 days")
    client.force_login(personas.admin)
    assert "it failed for 3 days" in client.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()

    client.post(f"/settings/webhooks/{subscription.uuid}/enable/")

    subscription.refresh_from_db()
    assert subscription.is_active and subscription.failing_since is None


def test_agents_get_404(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    client.force_login(personas.agent_a)

    for path in ("/settings/webhooks/", f"/settings/webhooks/{subscription.uuid}/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/settings/webhooks/{subscription.uuid}/delete/").status_code == 404
    assert WebhookSubscription.objects.exists()


def _failed_delivery(subscription, *, attempts=1):
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="message.received",
        payload={"event": "message.received"},
        status=WebhookDelivery.Status.FAILED,
        attempts=attempts,
        give_up_at=timezone.now(),
        last_status_code=400,
    )
    for _n in range(attempts):
        WebhookAttempt.objects.create(delivery=delivery, status_code=400, error="the receiver answered 400")
    return delivery


def _attempts_column(page: str) -> list[str]:
    return [cell.split("<summary>", 1)[1].split(" ", 1)[0] for cell in page.split("<td><details>")[1:]]


def test_after_redelivery_the_attempts_column_counts_the_logged_attempts(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    delivery = _failed_delivery(subscription)
    client.force_login(personas.admin)

    assert client.post(f"/settings/webhooks/deliveries/{delivery.uuid}/redeliver/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.status == WebhookDelivery.Status.PENDING

    page = client.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()
    assert _attempts_column(page) == ["1"]  # one attempt is listed in the log, not "0"
    assert "the receiver answered 400" in page


def test_the_log_counts_attempts_without_a_query_per_row(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    _failed_delivery(subscription, attempts=2)
    client.force_login(personas.admin)
    path = f"/settings/webhooks/{subscription.uuid}/"
    client.get(path)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as small:
        client.get(path)
    for n in range(6):
        _failed_delivery(subscription, attempts=n % 3)

    with CaptureQueriesContext(connection) as large:
        page = client.get(path).content.decode()

    assert len(large) == len(small)
    assert sorted(_attempts_column(page)) == sorted(["2", "0", "1", "2", "0", "1", "2"])


def test_a_retry_due_within_a_minute_and_a_fresh_failure_never_read_0_minutes(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - timedelta(seconds=20))
    delivery = _failed_delivery(subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now() + timedelta(seconds=20)
    )
    client.force_login(personas.admin)

    page = client.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()
    listing = client.get("/settings/webhooks/").content.decode()

    assert "0\xa0minutes" not in page and "0 minutes" not in page
    assert "Every delivery has failed for less than a minute." in page
    assert "next try in less than a minute" in page
    assert "Failing for less than a minute" in listing


def test_a_retry_and_a_failure_further_away_keep_their_duration(client, personas, public_dns):
    subscription = services.subscription_register(owner=personas.admin, url="https://a.example.com/h", events=["*"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - timedelta(hours=2))
    delivery = _failed_delivery(subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now() + timedelta(minutes=10, seconds=30)
    )
    client.force_login(personas.admin)

    page = client.get(f"/settings/webhooks/{subscription.uuid}/").content.decode()

    assert "Every delivery has failed for 2\xa0hours." in page
    assert "next try in 10\xa0minutes" in page
