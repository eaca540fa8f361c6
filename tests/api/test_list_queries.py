"""Every API list costs a fixed number of queries, however many rows it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.services import contact_create
from conversations.models import Label
from conversations.services import conversation_set_labels
from tests.factories import receive, reply
from webhooks import services as webhook_services
from webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db


def _queries(api, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, {"limit": 100, **(params or {})})
    assert response.status_code == 200, response.content
    return len(ctx)


def _grow_conversations(personas, start, count):
    vip = Label.objects.get_or_create(name="vip")[0]
    for n in range(start, start + count):
        conversation = receive(personas.channel_a, sender_id=f"q{n}").conversation
        conversation_set_labels(conversation=conversation, labels=[vip], by=None)
        reply(conversation, agent=personas.agent_a)


@pytest.mark.parametrize("who", ["admin", "agent_a"])
def test_conversations(api, personas, who):
    caller = api.as_user(getattr(personas, who))
    _grow_conversations(personas, 0, 2)
    small = _queries(caller, "/conversations")
    _grow_conversations(personas, 2, 10)

    assert _queries(caller, "/conversations") == small
    # auth + conversations + labels, and the agent's inbox ids for an agent
    assert small == (3 if who == "admin" else 4)


def test_messages(api, personas):
    conversation = receive(personas.channel_a, sender_id="m").conversation
    caller = api.as_user(personas.agent_a)
    small = _queries(caller, f"/conversations/{conversation.uuid}/messages")
    for n in range(10):
        reply(conversation, agent=personas.agent_a, text=f"r{n}", private=n % 2 == 0)
        receive(personas.channel_a, sender_id="m", text=f"in {n}")

    assert _queries(caller, f"/conversations/{conversation.uuid}/messages") == small


@pytest.mark.parametrize("who", ["admin", "agent_a"])
def test_contacts(api, personas, who):
    caller = api.as_user(getattr(personas, who))
    receive(personas.channel_a, sender_id="c0")
    contact_create(name="c-0", phone="+5511987650000")
    small = _queries(caller, "/contacts", {"q": "c"})
    small_phone = _queries(caller, "/contacts", {"q": "(11) 98765-00"})
    for n in range(1, 10):
        receive(personas.channel_a, sender_id=f"c{n}")
        contact_create(name=f"c-{n}", email=f"c{n}@example.com", phone=f"+55119876500{n:02d}")

    assert _queries(caller, "/contacts", {"q": "c"}) == small
    assert _queries(caller, "/contacts", {"q": "(11) 98765-00"}) == small_phone


def test_channels(api, personas):
    from tests.conftest import make_api_channel

    caller = api.as_user(personas.admin)
    small = _queries(caller, "/channels")
    for n in range(8):
        make_api_channel(f"extra {n}")

    assert _queries(caller, "/channels") == small


def test_webhooks_and_the_delivery_log(api, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    caller = api.as_user(personas.admin)
    subscription = webhook_services.subscription_register(
        owner=personas.admin, url="http://127.0.0.1:9/h", events=["*"]
    )
    receive(personas.channel_a, sender_id="w0")
    small_subs = _queries(caller, "/webhooks")
    small_log = _queries(caller, f"/webhooks/{subscription.uuid}/deliveries")
    for n in range(5):
        webhook_services.subscription_register(owner=personas.admin, url=f"http://127.0.0.1:9/h{n}", events=["*"])
        receive(personas.channel_a, sender_id=f"w{n + 1}")
    for delivery in WebhookDelivery.objects.all():
        WebhookAttempt.objects.create(delivery=delivery, status_code=500)

    assert _queries(caller, "/webhooks") == small_subs
    assert _queries(caller, f"/webhooks/{subscription.uuid}/deliveries") == small_log
