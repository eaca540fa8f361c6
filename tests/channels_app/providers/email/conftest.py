import uuid
from dataclasses import dataclass
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


# --- real servers on loopback -----------------------------------------------------------------
@pytest.fixture(scope="session")
def oauth_server():
    from tests.fakes.oauth_server import OAuthServer

    server = OAuthServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot(oauth_server):
    from tests.fakes.dovecot import Dovecot

    server = Dovecot(introspection_url=f"{oauth_server.url}/introspect").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificates():
    """A private CA and a server certificate for 127.0.0.1 (tests/fakes/tls.py); trusted by nobody
    until a test points SSL_CERT_FILE at `certificates.ca_bundle`."""
    from tests.fakes.tls import make_certificates

    files = make_certificates()
    yield files
    files.remove()


@pytest.fixture(scope="session")
def tls_dovecot(oauth_server, certificates):
    """A second Dovecot with IMAPS and POP3S on ports of their own, and STARTTLS on the plain ones."""
    from tests.fakes.dovecot import Dovecot

    server = Dovecot(introspection_url=f"{oauth_server.url}/introspect", tls=certificates).start()
    yield server
    server.stop()


@dataclass
class Account:
    address: str
    password: str
    server: object

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> list[int]:
        return self.server.deliver(self.address, self.password, *raws, folder=folder)

    def flags(self, folder: str = "INBOX") -> dict:
        return self.server.folder_flags(self.address, self.password, folder)


@pytest.fixture
def account(dovecot) -> Account:
    """A fresh mailbox on the test Dovecot (its own user, so tests never see each other's mail)."""
    address = f"support-{uuid.uuid4().hex[:10]}@acme.test"
    return Account(address=address, password=dovecot.PASSWORD, server=dovecot)


@pytest.fixture
def smtp_server(oauth_server):
    from tests.fakes.smtp_server import SmtpCapture

    with SmtpCapture(oauth=oauth_server) as server:
        yield server


@pytest.fixture
def oauth_settings(settings, oauth_server):
    settings.PROVIDER_BASE_URLS = {
        **settings.PROVIDER_BASE_URLS,
        "google_oauth": oauth_server.url,
        "google_accounts": oauth_server.url,
        "microsoft_login": oauth_server.url,
    }
    app = {"client_id": oauth_server.client_id, "client_secret": oauth_server.client_secret}
    settings.EMAIL_OAUTH_CLIENTS = {"google": dict(app), "microsoft": {**app, "tenant": "organizations"}}
    return settings


def mailbox_channel(account: Account, *, smtp=None, protocol: str = "imap", **settings) -> Channel:
    """An e-mail channel reading `account` on the test Dovecot (and sending through `smtp`)."""
    server = account.server
    if smtp is not None:
        smtp.users[account.address] = account.password
    fields = {
        "password": account.password,
        "protocol": protocol,
        "inbound_port": server.imap_port if protocol == "imap" else server.pop3_port,
        "smtp_port": smtp.port if smtp is not None else 25,
        "import_since": "2000-01-01",
        **settings,
    }
    return make_email_channel(address=account.address, **fields)
