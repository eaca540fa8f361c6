import ipaddress
import json
import os
import socket

import pytest

from accounts import services as account_services
from tests.web_process import WebProcess


class Api:
    """The Django test client speaking JSON to /api/v1 with a bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def as_user(self, user) -> "Api":
        return Api(self.client, account_services.api_session_start(user=user).access)

    def _headers(self, headers: dict | None) -> dict:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**out, **(headers or {})}

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def send(self, method: str, path: str, body=None, headers: dict | None = None):
        call = getattr(self.client, method.lower())
        data = json.dumps(body) if body is not None else ""
        return call(f"/api/v1{path}", data=data, content_type="application/json", headers=self._headers(headers))

    def post(self, path, body=None, headers=None):
        return self.send("POST", path, body, headers)

    def put(self, path, body=None, headers=None):
        return self.send("PUT", path, body, headers)

    def patch(self, path, body=None, headers=None):
        return self.send("PATCH", path, body, headers)

    def delete(self, path, headers=None):
        return self.send("DELETE", path, None, headers)


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.fixture
def public_dns(monkeypatch):
    """Every host name resolves to a public address (no real DNS in tests)."""
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            address = str(ipaddress.ip_address(host))  # a literal address resolves to itself
        except ValueError:
            address = answers.get(host, "93.184.216.34")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture(scope="module")
def web_processes(django_db_setup, django_db_blocker):
    """Two separate web processes sharing the test database and Redis, like two gunicorn hosts."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnichannel.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
    }
    processes = [WebProcess(env), WebProcess(env)]
    try:
        for process in processes:
            process.wait_ready()
        yield processes
    finally:
        for process in processes:
            process.stop()
