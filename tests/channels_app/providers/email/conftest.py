from pathlib import Path

import pytest

from channels_app.models import Channel

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "email"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_email_channel(address: str = "suporte@acme.test", **settings) -> Channel:
    return Channel.objects.create(
        kind="email",
        name="Acme Suporte",
        credentials={"password": settings.pop("password", "secret")},
        settings={
            "address": address,
            "display_name": "Acme Suporte",
            "auth_method": "password",
            "protocol": "imap",
            "inbound_host": "127.0.0.1",
            "inbound_port": 993,
            "inbound_security": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": 25,
            "smtp_security": "none",
            "folder": "INBOX",
            "after_fetch": "seen",
            "poll_interval": 60,
            "import_since": "",
            "signature": "",
            **settings,
        },
    )


@pytest.fixture
def email_channel(db) -> Channel:
    return make_email_channel()
