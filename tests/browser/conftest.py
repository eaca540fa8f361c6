"""Browser tests: Playwright driving Debian's Chromium against daphne serving the test database.

The live_server fixture speaks no WebSocket, so daphne runs in a subprocess on the test database
(data must be committed: these tests use transactional_db). Tasks run inline (Q_SYNC) in the
daphne process; events reach browsers through Redis exactly as in production."""

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import User
from tests.conftest import make_api_channel
from tests.servers import base_env, daphne, free_port, processes, wait_for_http

# Two cores run the suite, daphne, Redis, PostgreSQL and Chromium at once: give live updates
# more than Playwright's default 5 s before calling them missing.
expect.set_options(timeout=10_000)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def app_server(django_db_setup, django_db_blocker, tmp_path_factory):
    port = free_port()
    db = connection.settings_dict
    env = base_env(
        DJANGO_SETTINGS_MODULE="omnichannel.settings_test",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        Q_SYNC="true",
    )
    with processes(daphne(port), env=env, log_dir=tmp_path_factory.mktemp("daphne")):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox/**")


def shop_with_admin_ana(password: str):
    """A sandbox `api` inbox "Loja" worked by Ana, an admin: (channel, user)."""
    channel = make_api_channel("Loja", sandbox=True)
    user = account_services.user_create(
        username="ana",
        email="ana@example.com",
        password=password,
        first_name="Ana",
        availability="online",
        role=User.Role.ADMIN,
    )
    account_services.inbox_members_set(channel=channel, users=[user])
    return channel, user
