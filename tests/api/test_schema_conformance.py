"""API-DOC: schemathesis drives every operation of the live schema (/api/v1/schema/) through the
real app with generated valid and invalid input: no answer may be a 5xx, and every answer must
match the schema (status codes, headers, bodies). Bounded: a few examples per operation.

Rate limits are raised for this run (it makes hundreds of calls) and host names resolve to a
public address without DNS (webhook URLs are checked against private targets).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts import services as account_services
from contacts.services import contact_create
from conversations.models import Label
from tests.factories import receive, reply
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

EXAMPLES_PER_OPERATION = 12


# The live schema, as the running app serves it (generating it touches no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def conformance_run(db, settings, public_dns):
    settings.API_RATE_LIMIT = settings.API_MESSAGE_RATE_LIMIT = settings.API_RATE_LIMIT_ANONYMOUS = 10**9
    # Like Django's test client: keep the test's connection (and transaction) across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(personas, conformance_run):
    """Real objects, so generated calls also reach past the 404s into validation and services."""
    Label.objects.create(name="vip")
    inbound = receive(personas.channel_a, sender_id="schema-1", text="Olá")
    note = reply(inbound.conversation, agent=personas.admin, text="nota", private=True)
    contact = contact_create(name="Avulso", email="avulso@example.com")
    subscription = webhook_services.subscription_register(
        owner=personas.admin, url="https://crm.example.com/hooks", events=["*"]
    )
    receive(personas.channel_a, sender_id="schema-2")
    delivery = WebhookDelivery.objects.filter(subscription=subscription).first()
    ids = {
        "conversation_id": str(inbound.conversation.uuid),
        "message_id": str(note.uuid),
        "contact_id": str(contact.uuid),
        "channel_id": str(personas.channel_a.uuid),
        "subscription_id": str(subscription.uuid),
        "delivery_id": str(delivery.uuid),
    }
    token = account_services.api_session_start(user=personas.admin).access
    return ids, token


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,  # the same examples on every machine: no replay of earlier local failures
)
def test_every_operation_answers_as_documented(case, world):
    ids, token = world

    def negative(location) -> bool:
        # Where schemathesis broke the input on purpose, keep it broken: repairing it would make
        # a valid request out of a "must be rejected" one.
        return case.meta is not None and case.meta.is_negative_at(location)

    if not negative(ParameterLocation.PATH):
        for name in case.path_parameters or {}:
            if name in ids:
                case.path_parameters[name] = ids[name]
    headers = {} if negative(ParameterLocation.HEADER) else {"Authorization": f"Bearer {token}"}
    # Not `positive_data_acceptance`: some well-formed values are refused by rules no schema can
    # state (an unknown label name, a phone number that cannot exist, a stale cursor) with a 400.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
