"""The zero-setup topology of `make run` as real processes: SQLite, database cache, ORM broker,
in-memory channel layer fed by the database relay. An inbound webhook reaches a connected
agent's WebSocket, and the agent's reply is sent by the worker to the channel's callback."""

import json
import re
import subprocess
import time

import httpx
import pytest
from websockets.sync.client import connect

from core import signing
from tests.fakes.callback_server import CallbackServer
from tests.servers import ROOT, base_env, daphne, free_port, manage, processes, wait_for_http

pytestmark = pytest.mark.slow
FERNET_KEY = "kG8Uq8sQm3m7b2pS2z6iYy1bqvY8Rk1d7nq0M4cJxXQ="


def _receive_until(ws, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.append(message)
        if predicate(message):
            return message
    raise AssertionError(f"no matching WebSocket message in {timeout}s; got {seen}")


def test_inbound_to_websocket_and_reply_to_callback_on_sqlite(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = signing.generate_secret()
    env = base_env(
        DJANGO_SETTINGS_MODULE="omnichannel.settings",
        OMNICHANNEL_SKIP_DOTENV="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY="smoke-test-secret-key-0123456789abcdef",
        FIELD_ENCRYPTION_KEYS=FERNET_KEY,
        PUBLIC_BASE_URL=base,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WEBHOOK_ALLOW_PRIVATE_URLS="true",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD="smoke-pass-123",
        Q_WORKERS="1",
    )
    for command in (
        manage("migrate", "-v0"),
        manage("createcachetable"),
        manage("ensure_schedules"),
        manage("ensure_admin"),
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)

    with CallbackServer(secret=secret) as receiver:
        setup = (
            "from channels_app.models import Channel; from accounts.models import User, InboxMembership;"
            f"c = Channel.objects.create(kind='api', name='Smoke', credentials={{'secret': '{secret}'}},"
            f" settings={{'callback_url': '{receiver.url}'}});"
            "u = User.objects.get(email='admin@example.com'); InboxMembership.objects.create(user=u, channel=c);"
            "print(c.uuid)"
        )
        channel_uuid = (
            subprocess.run(manage("shell", "-c", setup), cwd=ROOT, env=env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )

        with processes(daphne(port), manage("qcluster"), env=env, log_dir=tmp_path):
            wait_for_http(f"{base}/healthz")
            assert httpx.get(f"{base}/readyz").json()["status"] == "ok"
            web = httpx.Client(base_url=base, follow_redirects=False)
            login_page = web.get("/accounts/login/")
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
            signed_in = web.post(
                "/accounts/login/",
                data={"username": "admin@example.com", "password": "smoke-pass-123", "csrfmiddlewaretoken": csrf},
            )
            assert signed_in.status_code == 302, signed_in.text
            cookies = "; ".join(f"{k}={v}" for k, v in web.cookies.items())

            with connect(
                f"ws://127.0.0.1:{port}/ws/console/", additional_headers={"Cookie": cookies, "Origin": base}
            ) as ws:
                assert json.loads(ws.recv(timeout=10))["type"] == "hello"

                body = json.dumps(
                    {"id": "smoke-1", "from": {"id": "c-9", "name": "Rita"}, "text": "Olá do smoke test"}
                ).encode()
                answer = httpx.post(
                    f"{base}/webhooks/api/{channel_uuid}/",
                    content=body,
                    headers={
                        "X-Signature-256": "sha256=" + signing.hmac_sha256_hex(secret, body),
                        "Content-Type": "application/json",
                    },
                )
                assert answer.status_code == 200

                received = _receive_until(ws, lambda m: m.get("event") == "message.received")
                conversation_id = received["data"]["conversation_id"]
                page = web.get(f"/conversations/{conversation_id}/")
                assert "Olá do smoke test" in page.text

                csrf = web.cookies["csrftoken"]
                reply = web.post(
                    f"/conversations/{conversation_id}/messages/",
                    data={"content": "Resposta do agente"},
                    headers={"X-CSRFToken": csrf, "HX-Request": "true", "Referer": base + "/"},
                )
                assert reply.status_code == 200, reply.text

                _receive_until(ws, lambda m: m.get("event") == "message.sent")
                [delivered] = receiver.accepted.values()
                assert delivered.json()["content"] == "Resposta do agente"
                assert delivered.json()["recipient"]["id"] == "c-9"
