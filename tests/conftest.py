import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM beside Playwright's sync API (tests only)

from dataclasses import dataclass

import pytest
from django.utils import translation

from accounts import services as account_services
from accounts.models import User
from channels_app.models import Channel
from core import signing
from tests.helpers import clear_cache_namespace


@pytest.fixture(autouse=True)
def _fresh_cache():
    from channels_app.selectors import webhook_cache_clear
    from webhooks.selectors import active_subscriptions_forget

    clear_cache_namespace()
    webhook_cache_clear()
    active_subscriptions_forget()
    yield
    # A request in pt-BR leaves that language active in this thread (LocaleMiddleware activates
    # it and nothing undoes it); the next test starts in the site's default language.
    translation.deactivate()


def make_api_channel(name: str, **settings) -> Channel:
    return Channel.objects.create(
        kind="api",
        name=name,
        credentials={"secret": signing.generate_secret()},
        settings={"callback_url": "https://crm.example.com/hooks/helpdesk", **settings},
    )


@pytest.fixture
def api_channel(db) -> Channel:
    return make_api_channel("API A")


@dataclass
class Personas:
    admin: User
    agent_a: User  # works inbox A
    agent_b: User  # works inbox B
    outsider: User  # an agent with no inbox
    channel_a: Channel
    channel_b: Channel


@pytest.fixture
def personas(db) -> Personas:
    channel_a = make_api_channel("Inbox A")
    channel_b = make_api_channel("Inbox B")
    admin = account_services.user_create(
        username="olga", email="olga@example.com", password="pw-olga-123", role=User.Role.ADMIN, first_name="Olga"
    )
    agent_a = account_services.user_create(
        username="ana", email="ana@example.com", password="pw-ana-123", first_name="Ana", availability="online"
    )
    agent_b = account_services.user_create(
        username="bruno", email="bruno@example.com", password="pw-bruno-123", first_name="Bruno", availability="online"
    )
    outsider = account_services.user_create(username="eve", email="eve@example.com", password="pw-eve-123")
    account_services.inbox_member_add(channel=channel_a, user=agent_a)
    account_services.inbox_member_add(channel=channel_b, user=agent_b)
    return Personas(admin, agent_a, agent_b, outsider, channel_a, channel_b)
