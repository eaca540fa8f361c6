"""Mail over TLS, against a real Dovecot and the SMTP capture server presenting a certificate from a
private CA (tests/fakes/tls.py): implicit TLS and STARTTLS for IMAP, POP3 and SMTP; the certificate
is always verified (an untrusted one stops the poll and says why, losing nothing); and STARTTLS is
never skipped quietly when the server does not offer it.

A test trusts the private CA the way an administrator would: SSL_CERT_FILE names the CA bundle.
Dovecot logs each login with `TLS` when it was encrypted, which shows that STARTTLS on a plain
port really happened (on loopback Dovecot would accept a plaintext login too).
"""

import time
import uuid

import imapclient
import pytest

from channels_app import services as channel_services
from channels_app.models import Channel
from channels_app.providers.email.models import Mailbox
from conversations.models import Conversation, Message
from monitoring.models import ApiCall
from tests.channels_app.providers.email.conftest import Account, mailbox_channel
from tests.channels_app.providers.email.test_fetch import events, mail, poll, poll_and_apply
from tests.channels_app.providers.email.test_roundtrip import reply, send_due
from tests.fakes.smtp_server import SmtpCapture

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# (protocol, security, the Dovecot port attribute that speaks it)
INBOUND = [
    pytest.param("imap", "ssl", "imaps_port", id="imaps"),
    pytest.param("imap", "starttls", "imap_port", id="imap-starttls"),
    pytest.param("pop3", "ssl", "pop3s_port", id="pop3s"),
    pytest.param("pop3", "starttls", "pop3_port", id="pop3-stls"),
]
SMTP_SECURITY = {"starttls": "starttls", "implicit": "ssl"}  # the capture server's mode -> our setting


@pytest.fixture
def trust_test_ca(monkeypatch, certificates):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_bundle))


@pytest.fixture
def tls_account(tls_dovecot) -> Account:
    address = f"support-{uuid.uuid4().hex[:10]}@acme.test"
    return Account(address=address, password=tls_dovecot.PASSWORD, server=tls_dovecot)


@pytest.fixture(params=["starttls", "implicit"])
def tls_smtp(request, oauth_server, certificates):
    with SmtpCapture(oauth=oauth_server, tls=certificates, tls_mode=request.param) as server:
        yield server


def tls_channel(account: Account, protocol: str, security: str, port: str, **settings) -> Channel:
    port_number = getattr(account.server, port)
    return mailbox_channel(account, protocol=protocol, inbound_security=security, inbound_port=port_number, **settings)


def logins(account: Account, count: int) -> list[str]:
    """Dovecot's login lines for the account, once there are `count` of them (Dovecot writes its
    log a moment after the login). The tests' own deliveries and flag checks log in without TLS."""
    deadline = time.monotonic() + 5
    lines = account.server.logins(account.address)
    while len(lines) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        lines = account.server.logins(account.address)
    return lines


# --- fetching over TLS ------------------------------------------------------------------------
@pytest.mark.parametrize(("protocol", "security", "port"), INBOUND)
def test_a_mailbox_over_tls_fetches_mail_into_conversations_when_the_ca_is_trusted(
    tls_account, trust_test_ca, protocol, security, port
):
    channel = tls_channel(tls_account, protocol, security, port)
    tls_account.deliver(mail(1, subject="Boleto"), mail(2, subject="Entrega"))

    poll_and_apply(channel)

    assert sorted(Conversation.objects.filter(channel=channel).values_list("subject", flat=True)) == [
        "Boleto 1",
        "Entrega 2",
    ]
    assert Message.objects.get(conversation__subject="Boleto 1").content == "Mensagem número 1."
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK, channel.last_error
    delivery, ours = logins(tls_account, 2)
    assert ", TLS," not in delivery and ", TLS," in ours  # our password went encrypted
    call = ApiCall.objects.filter(operation=f"{protocol}_poll", channel_id=channel.pk).latest("id")
    assert call.ok and f"127.0.0.1:{getattr(tls_account.server, port)}" in call.url


# --- sending over TLS -------------------------------------------------------------------------
def test_an_agent_reply_goes_out_over_tls_and_is_captured(tls_account, tls_smtp, trust_test_ca, personas):
    channel = tls_channel(
        tls_account, "imap", "ssl", "imaps_port", smtp=tls_smtp, smtp_security=SMTP_SECURITY[tls_smtp.tls_mode]
    )
    tls_account.deliver(mail(1, sender="maria@example.com.br", subject="Pedido"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)

    sent = reply(conversation, personas.admin, "Seu pedido saiu hoje.")
    send_due()

    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT, sent.error_reason
    [captured] = tls_smtp.received
    assert captured.tls.startswith("TLSv1.")  # the server saw the mail arrive encrypted
    assert captured.rcpt_tos == ["maria@example.com.br"]
    assert str(captured.message["Subject"]) == "Re: Pedido 1"
    assert "Seu pedido saiu hoje." in captured.message.get_body(("plain",)).get_content()
    assert tls_smtp.auth_attempts == [("PLAIN", tls_account.address, True)]


# --- an untrusted certificate -----------------------------------------------------------------
@pytest.mark.parametrize(("protocol", "security", "port"), INBOUND)
def test_an_untrusted_certificate_stops_the_poll_says_so_and_loses_nothing(
    tls_account, monkeypatch, certificates, client, personas, protocol, security, port
):
    channel = tls_channel(tls_account, protocol, security, port)
    [uid] = tls_account.deliver(mail(1))

    poll(channel)  # the default trust store knows nothing of the test CA

    channel.refresh_from_db()
    server = f"127.0.0.1:{getattr(tls_account.server, port)}"
    assert channel.status == Channel.Status.ERROR
    assert channel.last_error.startswith(f"The security certificate of {server} is not trusted")
    assert "unable to get local issuer certificate" in channel.last_error
    assert "ask the administrator to add it to the trusted certificates" in channel.last_error
    assert Mailbox.objects.get(channel=channel).last_error == channel.last_error
    client.force_login(personas.admin)
    page = client.get(f"/settings/channels/{channel.uuid}/").content.decode()
    assert f"The security certificate of {server} is not trusted" in page
    assert not events(channel).exists()
    assert imapclient.SEEN not in tls_account.flags()[uid]  # still new on the server

    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_bundle))  # the administrator trusts the CA
    poll_and_apply(channel)

    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK
    assert Message.objects.filter(channel=channel).count() == 1
    # Delivery, the flag check, then our one login: none during the refused poll.
    lines = logins(tls_account, 3)
    assert len(lines) == 3 and [", TLS," in line for line in lines] == [False, False, True]


def test_an_untrusted_smtp_certificate_keeps_the_reply_queued_until_it_is_trusted(
    tls_account, tls_smtp, monkeypatch, certificates, personas
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_bundle))
    channel = tls_channel(
        tls_account, "imap", "ssl", "imaps_port", smtp=tls_smtp, smtp_security=SMTP_SECURITY[tls_smtp.tls_mode]
    )
    tls_account.deliver(mail(1))
    poll_and_apply(channel)
    monkeypatch.delenv("SSL_CERT_FILE")  # back to the default trust store
    message = reply(Conversation.objects.get(channel=channel), personas.admin, "Resposta")

    send_due()

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED  # retried later, not dropped
    assert f"The security certificate of 127.0.0.1:{tls_smtp.port} is not trusted" in message.error_reason
    assert tls_smtp.auth_attempts == [] and tls_smtp.received == []

    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_bundle))
    send_due()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_reason
    assert len(tls_smtp.received) == 1


# --- STARTTLS that the server does not offer --------------------------------------------------
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_starttls_not_offered_by_the_server_fails_before_the_password_is_sent(account, protocol):
    # The plain test Dovecot has no TLS at all, so it offers no STARTTLS/STLS.
    channel = mailbox_channel(account, protocol=protocol, inbound_security="starttls")
    [uid] = account.deliver(mail(1))

    poll(channel)

    channel.refresh_from_db()
    port = account.server.imap_port if protocol == "imap" else account.server.pop3_port
    assert channel.status == Channel.Status.ERROR
    assert channel.last_error.startswith(f"127.0.0.1:{port} does not offer STARTTLS, so we did not sign in")
    assert not events(channel).exists()
    assert imapclient.SEEN not in account.flags()[uid]
    assert len(logins(account, 2)) == 2  # the delivery and the flag check; we never signed in


def test_smtp_starttls_not_offered_by_the_server_fails_before_the_password_is_sent(account, smtp_server, personas):
    channel = mailbox_channel(account, smtp=smtp_server, smtp_security="starttls")  # a plaintext-only server
    account.deliver(mail(1))
    poll_and_apply(channel)
    message = reply(Conversation.objects.get(channel=channel), personas.admin, "Resposta")

    send_due()

    message.refresh_from_db()
    refusal = f"127.0.0.1:{smtp_server.port} does not offer STARTTLS, so we did not sign in"
    assert message.status == Message.Status.QUEUED  # kept, to go once the setting is fixed
    assert refusal in message.error_reason
    check = channel_services.channel_check(channel=channel)  # "Test connection" says the same
    assert not check.ok and check.detail.startswith(refusal)
    assert smtp_server.auth_attempts == [] and smtp_server.received == []
