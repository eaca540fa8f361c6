"""The visitor WebSocket against a real daphne on the test database: only our own origin, only
with a valid token, and each visitor hears only about their own conversation."""

import json
import time

import pytest
from django.conf import settings
from django.db import connection
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from channels_app.providers.web_widget import security
from conversations.models import Conversation
from tests.factories import reply
from tests.servers import base_env, daphne, free_port, processes, wait_for_http

from .conftest import Visitor, drain

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
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
    )
    with processes(daphne(port), env=env, log_dir=tmp_path_factory.mktemp("daphne-widget")):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        yield port


def _socket(port, origin):
    return connect(f"ws://127.0.0.1:{port}/ws/widget/", origin=origin, open_timeout=10)


def _next(ws, timeout=8.0):
    return json.loads(ws.recv(timeout=timeout))


def _until(ws, predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = _next(ws, max(0.1, deadline - time.monotonic()))
        if predicate(message):
            return message
    raise AssertionError("no matching message")


def _quiet(ws, seconds=1.0) -> list:
    heard = []
    try:
        while True:
            heard.append(_next(ws, seconds))
    except TimeoutError:
        return heard


@pytest.mark.parametrize("origin", ["https://shop.example.com", "http://localhost:1", "null"])
def test_a_socket_from_another_origin_is_refused_at_the_handshake(server, origin):
    with pytest.raises(InvalidStatus) as refused:
        _socket(server, origin).close()
    assert refused.value.response.status_code == 403


def test_a_socket_without_a_valid_token_is_closed(server, widget):
    with _socket(server, f"http://127.0.0.1:{server}") as ws:
        ws.send(json.dumps({"type": "auth", "token": "forged"}))
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=5)
    assert getattr(closed.value, "rcvd", None) is not None and closed.value.rcvd.code == 4401


def test_each_visitor_hears_only_their_own_conversation(server, widget, agent):
    own = f"http://127.0.0.1:{server}"
    alice, bob = Visitor(widget), Visitor(widget)
    alice.start()
    bob.start()
    alice.send("Oi, sou a Alice")
    drain()
    conversation = Conversation.objects.get()

    with _socket(server, own) as alice_ws, _socket(server, own) as bob_ws:
        for ws, visitor in ((alice_ws, alice), (bob_ws, bob)):
            ws.send(json.dumps({"type": "auth", "token": visitor.token}))
            assert _next(ws)["type"] == "ready"

        reply(conversation, agent, text="Olá, Alice!")
        drain()
        delivered = _until(alice_ws, lambda m: m["type"] == "message")
        assert delivered["message"]["text"] == "Olá, Alice!"
        assert delivered["message"]["author"] == "Ana"

        alice.send("Obrigada")
        drain()
        echo = _until(alice_ws, lambda m: m["type"] == "message")
        assert echo["message"]["text"] == "Obrigada" and echo["message"]["from"] == "visitor"

        assert _quiet(bob_ws) == []


def test_a_token_for_a_site_no_longer_allowed_cannot_connect(server, widget):
    from channels_app.selectors import webhook_cache_clear

    token = security.token_issue(security.visitor_new(channel_uuid=widget.uuid, origin="https://gone.example.net"))
    with _socket(server, f"http://127.0.0.1:{server}") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401
    webhook_cache_clear()
