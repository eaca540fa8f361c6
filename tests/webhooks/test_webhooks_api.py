"""API-HOOK: register, list, delete subscriptions; SSRF refusals; the delivery log over the API."""

import pytest
from django.utils import timezone

from tests.api.conftest import error_of
from tests.factories import receive
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_register_returns_the_secret_once(api, personas, public_dns):
    api = api.as_user(personas.admin)
    response = api.post(
        "/webhooks/register",
        {"url": "https://crm.example.com/hooks", "events": ["message.received", "conversation.assigned"]},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["conversation.assigned", "message.received"]
    listed = api.get("/webhooks").json()["results"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert listed[0]["secret"].startswith("••••") and body["secret"] not in str(listed)
    assert api.get(f"/webhooks/{body['id']}").json()["secret"] == listed[0]["secret"]


def test_a_given_secret_must_be_a_standard_webhooks_secret(api, personas, public_dns):
    response = api.as_user(personas.admin).post(
        "/webhooks/register", {"url": "https://crm.example.com/hooks", "events": ["*"], "secret": "hunter2"}
    )

    assert response.status_code == 400
    assert "secret" in error_of(response)["fields"]


def test_unknown_events_are_refused_by_name(api, personas, public_dns):
    response = api.as_user(personas.admin).post(
        "/webhooks/register", {"url": "https://crm.example.com/hooks", "events": ["message.recieved"]}
    )

    assert response.status_code == 400
    assert "message.recieved" in error_of(response)["fields"]["events"][0]


@pytest.mark.parametrize(
    "url, resolves_to",
    [
        ("http://127.0.0.1/hook", None),
        ("http://10.0.0.1/hook", None),
        ("http://169.254.169.254/latest/meta-data/", None),
        ("http://[::1]/hook", None),
        ("https://internal.example.com/hook", "127.0.0.1"),
        ("https://intranet.example.com/hook", "10.0.0.1"),
        ("https://metadata.example.com/hook", "169.254.169.254"),
    ],
)
def test_private_loopback_and_metadata_targets_are_refused(api, personas, public_dns, url, resolves_to):
    if resolves_to:
        public_dns[url.split("/")[2]] = resolves_to

    response = api.as_user(personas.admin).post("/webhooks/register", {"url": url, "events": ["*"]})

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "private, loopback or link-local" in error["fields"]["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_allowed_when_the_environment_says_so(api, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True

    response = api.as_user(personas.admin).post("/webhooks/register", {"url": "http://127.0.0.1:9/h", "events": ["*"]})

    assert response.status_code == 201


def test_delete_is_for_the_owner_or_an_admin_others_get_404(api, personas, public_dns):
    mine = services.subscription_register(owner=personas.agent_a, url="https://a.example.com/h", events=["*"])

    assert api.as_user(personas.agent_b).delete(f"/webhooks/{mine.uuid}").status_code == 404
    assert api.as_user(personas.agent_b).get(f"/webhooks/{mine.uuid}").status_code == 404
    assert api.as_user(personas.agent_b).get("/webhooks").json()["results"] == []
    assert api.as_user(personas.agent_a).delete(f"/webhooks/{mine.uuid}").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_shows_attempts_and_redelivery_requeues(api, personas, public_dns):
    subscription = services.subscription_register(
        owner=personas.admin, url="https://a.example.com/h", events=["message.received"]
    )
    receive(personas.channel_a)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=1, last_status_code=400, last_error="bad"
    )
    WebhookAttempt.objects.create(delivery=delivery, attempted_at=timezone.now(), status_code=400, latency_ms=12)
    admin = api.as_user(personas.admin)

    log = admin.get(f"/webhooks/{subscription.uuid}/deliveries").json()["results"]
    assert [(d["id"], d["status"], d["webhook_id"]) for d in log] == [
        (str(delivery.uuid), "failed", f"msg_{delivery.uuid.hex}")
    ]
    assert log[0]["payload"]["event"] == "message.received"
    assert log[0]["attempts"] == 1 and len(log[0]["attempt_log"]) == 1

    response = admin.post(f"/webhooks/deliveries/{delivery.uuid}/redeliver")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response.json()["attempts"] == 1  # the attempt made before is still counted
    assert api.as_user(personas.agent_b).post(f"/webhooks/deliveries/{delivery.uuid}/redeliver").status_code == 404
