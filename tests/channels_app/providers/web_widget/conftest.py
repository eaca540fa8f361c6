"""Web widget fixtures: a configured widget channel and a visitor speaking the widget's HTTP API
the way the chat frame does (our own Origin, a visitor token in a header)."""

import json
import uuid
from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts import services as account_services
from channels_app import services as channel_services
from channels_app.providers.web_widget import security
from channels_app.providers.web_widget.forms import WebWidgetForm

SITE = "https://shop.example.com"
OWN = "http://testserver"
FLOW = {
    "start": {
        "text": "Hi! What is it about?",
        "buttons": [{"label": "Orders", "goto": "orders"}, {"label": "Talk to a person", "handoff": True}],
    },
    "orders": {"text": "Track your order at example.com/orders.", "buttons": [{"label": "Back", "goto": "start"}]},
}


def widget_settings(**overrides) -> dict:
    data = {
        "name": "Shop chat",
        "allowed_domains": "shop.example.com, *.example.org",
        "color": "#2f6feb",
        "position": "right",
        "language": "auto",
        "prechat_enabled": "on",
        "prechat_name": "required",
        "prechat_email": "optional",
        "prechat_phone": "off",
        "time_zone": "America/Sao_Paulo",
        "uploads": "documents",
        "max_upload_mb": "2",
        "handoff_keywords": "human, atendente",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_widget(**overrides):
    form = WebWidgetForm(data=widget_settings(**overrides))
    assert form.is_valid(), form.errors
    return channel_services.channel_create(
        kind="web_widget",
        name=form.cleaned_data["name"],
        settings=form.settings_data(),
        credentials=form.credentials_data(),
    )


@pytest.fixture
def widget(db):
    return make_widget()


@pytest.fixture
def agent(db, widget):
    user = account_services.user_create(
        username="ana", email="ana@example.com", password="pw-ana-123", first_name="Ana", availability="online"
    )
    account_services.inbox_member_add(channel=widget, user=user)
    return user


@dataclass
class Visitor:
    """A browser's chat frame: our origin, the widget's ticket for `site`, a visitor token."""

    channel: object
    site: str = SITE
    origin: str = OWN
    token: str | None = None
    # As strict as a browser: a view that forgot its CSRF exemption fails here too.
    client: Client = field(default_factory=lambda: Client(enforce_csrf_checks=True))
    user: dict | None = None
    last: dict = field(default_factory=dict)

    def headers(self) -> dict:
        headers = {"HTTP_ORIGIN": self.origin} if self.origin else {}
        if self.token:
            headers["HTTP_X_VISITOR_TOKEN"] = self.token
        return headers

    def start(self, **extra):
        ticket = security.ticket_issue(channel_uuid=self.channel.uuid, origin=self.site)
        body = {"ticket": ticket, "token": self.token, "user": self.user, **extra}
        response = self.client.post(
            "/widget/api/session", json.dumps(body), content_type="application/json", **self.headers()
        )
        if response.status_code == 200:
            self.last = response.json()
            self.token = self.last["token"]
        return response

    def send(self, text="Olá", *, client_id=None, uploads=(), button=None, **extra):
        body = {
            "client_id": client_id or str(uuid.uuid4()),
            "text": text,
            "uploads": list(uploads),
            "button": button,
            **extra,
        }
        return self.client.post(
            "/widget/api/messages", json.dumps(body), content_type="application/json", **self.headers()
        )

    def history(self, **params):
        return self.client.get("/widget/api/messages", params, **self.headers())

    def profile(self, **values):
        return self.client.post(
            "/widget/api/profile", json.dumps({"values": values}), content_type="application/json", **self.headers()
        )

    def upload(self, name: str, data: bytes, content_type: str = "application/octet-stream"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(
            "/widget/api/uploads", {"file": SimpleUploadedFile(name, data, content_type=content_type)}, **self.headers()
        )

    def receipts(self, state: str, ids: list[str]):
        return self.client.post(
            "/widget/api/receipts",
            json.dumps({"state": state, "message_ids": ids}),
            content_type="application/json",
            **self.headers(),
        )

    def texts(self) -> list[tuple[str, str]]:
        return [(m["from"], m["text"]) for m in self.history().json()["messages"]]


@pytest.fixture
def visitor(widget):
    v = Visitor(widget)
    assert v.start().status_code == 200
    return v


def drain():
    """Run the pipelines as the worker would: inbound events, then queued replies."""
    from channels_app import services

    services.inbound_drain()
    services.outbound_drain()


# A real 1x1 PNG, and a page of HTML wearing a .png name.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5b2d1a70000000049454e44ae426082"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
