"""The whole path with real commits: a customer's message arrives on the `api` channel webhook,
is processed, and the CRM's webhook receiver gets `message.received` signed, without anyone
calling a drain by hand (the outbox row's commit queues the `webhooks` drain)."""

import pytest

from core import tasks
from tests.fakes.callback_server import CallbackServer
from tests.helpers import inbound_message, post_api_webhook
from webhooks import services
from webhooks.models import WebhookDelivery


def test_the_webhooks_queue_is_drained_by_the_sweeper_too():
    assert tasks.QUEUES["webhooks"] == "webhooks.tasks.deliveries_drain"


@pytest.mark.django_db(transaction=True)
def test_an_inbound_message_reaches_the_crm_as_a_signed_webhook(client, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with CallbackServer() as crm:
        subscription = services.subscription_register(
            owner=personas.admin, url=crm.url, events=["message.received", "conversation.created"]
        )
        crm.secret = subscription.secret

        response = post_api_webhook(client, personas.channel_a, inbound_message("crm-in-1", text="Quero cancelar"))

        assert response.status_code == 200
        events = sorted(r.json()["event"] for r in crm.accepted.values())
        assert events == ["conversation.created", "message.received"]
        [received] = [r.json() for r in crm.accepted.values() if r.json()["event"] == "message.received"]
        assert received["data"]["content"] == "Quero cancelar"
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
