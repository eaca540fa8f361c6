"""Settings → Webhooks in the console: subscribe (secret shown once), the delivery log with its
attempts, manual redelivery, enabling a disabled subscription; administrators only."""

import pytest

from tests.factories import receive
from tests.fakes.callback_server import CallbackServer, Reply
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_subscribing_shows_the_secret_once(client, personas, public_dns):
    client.force_login(personas.admin)

    response = client.post("/settings/webhooks/", {"url": "https://crm.example.com/in", "events": ["message.received"]})

    subscription = WebhookSubscription.objects.get()
    assert subscription.owner == personas.admin and subscription.events == ["message.received"]
    assert subscription.secret.encode() in response.content
    assert subscription.secret.encode() not in client.get("/settings/webhooks/").content


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
