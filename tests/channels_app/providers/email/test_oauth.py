"""OAuth 2.0 mailboxes: the XOAUTH2 string, token refresh and rotation against a local token
endpoint, `invalid_grant` → "reconnect needed", XOAUTH2 logins to the real Dovecot and the SMTP
capture server, and the console's authorisation-code flow."""

import base64
import http.client
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from channels_app import services as channel_services
from channels_app.models import Channel, InboundEvent
from channels_app.providers.email import oauth, services
from channels_app.providers.email.models import Mailbox, OAuthState
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from monitoring.models import ApiCall
from tests.channels_app.providers.email.conftest import FIXTURES, mailbox_channel, make_email_channel
from tests.channels_app.providers.email.test_fetch import mail

pytestmark = pytest.mark.django_db


def test_xoauth2_initial_response_matches_googles_example():
    example = json.loads((FIXTURES / "xoauth2-sasl-example.json").read_text())
    raw = oauth.xoauth2(example["user"], example["access_token"])
    assert raw == example["initial_response_raw"]
    assert base64.b64encode(raw.encode()).decode().startswith(example["initial_response_base64_prefix"])


def oauth_channel(address: str, refresh_token: str = "", provider: str = "google", **settings) -> Channel:
    channel = make_email_channel(address=address, auth_method=provider, **settings)
    channel.credentials = {"oauth_refresh_token": refresh_token} if refresh_token else {}
    channel.status = Channel.Status.OK  # connected earlier: what a token refresh does to it is the point
    channel.save()
    return channel


def token_calls(oauth_server) -> list:
    return [form for path, form in oauth_server.requests if path.endswith("/token")]


def test_an_access_token_is_refreshed_only_when_it_is_about_to_expire(oauth_settings, oauth_server):
    channel = oauth_channel("a@acme.test", oauth_server.grant("a@acme.test"))
    before = len(token_calls(oauth_server))

    first = services.mailbox_access_token(channel=channel)
    again = services.mailbox_access_token(channel=Channel.objects.get(pk=channel.pk))

    assert first == again
    assert len(token_calls(oauth_server)) == before + 1
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert stored["oauth_access_token"] == first
    assert stored["oauth_expires_at"] > time.time() + 3000
    assert stored["oauth_refresh_token"] == channel.credentials["oauth_refresh_token"]  # Google sent none: kept
    form = token_calls(oauth_server)[-1]
    assert (form["grant_type"], form["client_id"]) == ("refresh_token", oauth_server.client_id)

    Channel.objects.filter(pk=channel.pk).update(
        credentials={**stored, "oauth_expires_at": int(time.time()) + 60}  # inside the 5-minute margin
    )
    renewed = services.mailbox_access_token(channel=Channel.objects.get(pk=channel.pk))
    assert renewed != first
    assert len(token_calls(oauth_server)) == before + 2
    call = ApiCall.objects.filter(operation="oauth_refresh").latest("id")
    assert call.ok and call.provider == "email"
    assert channel.credentials["oauth_refresh_token"] not in call.url + call.error


def test_a_rotated_microsoft_refresh_token_is_stored_and_used_next_time(oauth_settings, oauth_server):
    original = oauth_server.grant("m@acme.test")
    channel = oauth_channel("m@acme.test", original, provider="microsoft", protocol="imap")

    services.mailbox_access_token(channel=channel)
    rotated = Channel.objects.get(pk=channel.pk).credentials["oauth_refresh_token"]
    assert rotated != original
    form = token_calls(oauth_server)[-1]
    assert "https://outlook.office.com/IMAP.AccessAsUser.All" in form["scope"]
    assert "offline_access" in form["scope"]
    assert oauth_server.requests[-1][0] == "/organizations/oauth2/v2.0/token"

    services.mailbox_access_token(channel=Channel.objects.get(pk=channel.pk), force=True)
    assert Channel.objects.get(pk=channel.pk).status == Channel.Status.OK  # the old token would have failed


def test_invalid_grant_flags_the_channel_reconnect_needed(oauth_settings, oauth_server):
    grant = oauth_server.grant("r@acme.test")
    channel = oauth_channel("r@acme.test", grant)
    oauth_server.revoke(grant)

    with pytest.raises(oauth.OAuthError) as caught:
        services.mailbox_access_token(channel=channel)

    assert caught.value.reconnect and caught.value.code == "invalid_grant"
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT
    assert "revoked or has expired" in channel.last_error
    assert "Token has been expired or revoked." in channel.last_error


def test_a_token_endpoint_outage_is_transient_and_leaves_the_channel_alone(oauth_settings, oauth_server):
    channel = oauth_channel("o@acme.test", oauth_server.grant("o@acme.test"))
    oauth_server.fail_next.append((503, {"error": "temporarily_unavailable"}))

    with pytest.raises(oauth.OAuthError) as caught:
        services.mailbox_access_token(channel=channel)

    assert caught.value.transient and not caught.value.reconnect
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK


@pytest.mark.slow
def test_an_oauth_mailbox_is_read_over_imap_with_xoauth2(oauth_settings, oauth_server, account):
    channel = mailbox_channel(account, auth_method="google")
    channel.credentials = {"oauth_refresh_token": oauth_server.grant(account.address)}
    channel.save()
    account.deliver(mail(1))

    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()

    assert InboundEvent.objects.filter(channel=channel).count() == 1
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK
    # Dovecot checked our bearer token with the token server's introspection endpoint.
    assert any(path == "/introspect" for path, _form in oauth_server.requests)


@pytest.mark.slow
def test_a_token_refused_by_the_server_is_refreshed_once_and_the_login_retried(oauth_settings, oauth_server, account):
    channel = mailbox_channel(account, auth_method="google")
    channel.credentials = {
        "oauth_refresh_token": oauth_server.grant(account.address),
        "oauth_access_token": "at-revoked-early",  # looks fresh to us, unknown to the server
        "oauth_expires_at": int(time.time()) + 3000,
    }
    channel.save()
    account.deliver(mail(1))

    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()

    assert InboundEvent.objects.filter(channel=channel).count() == 1
    assert Channel.objects.get(pk=channel.pk).credentials["oauth_access_token"] != "at-revoked-early"


@pytest.mark.slow
def test_a_revoked_grant_stops_polling_and_asks_for_reconnection(oauth_settings, oauth_server, account):
    grant = oauth_server.grant(account.address)
    channel = mailbox_channel(account, auth_method="google")
    channel.credentials = {"oauth_refresh_token": grant}
    channel.save()
    oauth_server.revoke(grant)

    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()

    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT
    assert Mailbox.objects.get(channel=channel).reconnect_fingerprint != ""


@pytest.mark.slow
def test_a_reply_is_sent_with_xoauth2(oauth_settings, oauth_server, account, smtp_server):
    channel = mailbox_channel(account, smtp=smtp_server, auth_method="microsoft")
    channel.credentials = {"oauth_refresh_token": oauth_server.grant(account.address)}
    channel.save()
    account.deliver(mail(1))
    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()
    channel_services.inbound_drain()
    conversation = Conversation.objects.get(channel=channel)
    message = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content="Olá"), sender=None
    )

    channel_services.outbound_drain()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_reason
    assert smtp_server.auth_attempts[-1] == ("XOAUTH2", account.address, True)
    [captured] = smtp_server.received
    assert captured.login == account.address
    # No person wrote it: auto-responders are asked to stay quiet.
    assert captured.message["Auto-Submitted"] == "auto-generated"
    assert captured.message["X-Auto-Response-Suppress"] == "All"


# --- the console flow -------------------------------------------------------------------------
@pytest.fixture
def admin(db):
    return account_services.user_create(
        username="olga", email="olga@example.com", password="pw-olga-123", role=User.Role.ADMIN
    )


def follow_consent(url: str) -> dict:
    """The browser's trip to the provider: it consents at once and redirects back."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    location = response.getheader("Location")
    connection.close()
    assert response.status == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_an_admin_connects_a_google_mailbox(client, admin, oauth_settings, oauth_server):
    channel = oauth_channel("support@example.com")  # the fake signs in as support@example.com
    client.force_login(admin)

    start = client.get(f"/channels/email/oauth/start/{channel.uuid}/")
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert start["Location"].startswith(f"{oauth_server.url}/o/oauth2/v2/auth?")
    assert query["scope"] == "https://mail.google.com/ openid email"
    assert (query["access_type"], query["prompt"], query["code_challenge_method"]) == ("offline", "consent", "S256")
    assert query["redirect_uri"] == "http://testserver/channels/email/oauth/callback/"
    assert query["login_hint"] == "support@example.com"

    back = follow_consent(start["Location"])
    done = client.get("/channels/email/oauth/callback/", back)

    assert done.status_code == 302 and done["Location"] == f"/settings/channels/{channel.uuid}/"
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK
    assert channel.credentials["oauth_refresh_token"].startswith("rt-")
    assert channel.credentials["oauth_access_token"].startswith("at-")
    assert not OAuthState.objects.exists()  # used once
    exchange = token_calls(oauth_server)[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    call = ApiCall.objects.get(operation="oauth_code_exchange")
    assert back["code"] not in call.url

    replay = client.get("/channels/email/oauth/callback/", back)  # the same answer again
    assert replay.status_code == 302 and replay["Location"] == "/settings/channels/"


def test_signing_in_with_another_account_is_refused(client, admin, oauth_settings, oauth_server):
    channel = oauth_channel("vendas@acme.test")
    client.force_login(admin)
    start = client.get(f"/channels/email/oauth/start/{channel.uuid}/")

    response = client.get("/channels/email/oauth/callback/", follow_consent(start["Location"]), follow=True)

    assert "You signed in as support@example.com, but this mailbox is vendas@acme.test" in response.content.decode()
    channel.refresh_from_db()
    assert "oauth_refresh_token" not in channel.credentials


def test_a_callback_with_a_state_we_did_not_issue_is_refused(client, admin, oauth_settings):
    channel = oauth_channel("support@example.com")
    client.force_login(admin)

    response = client.get("/channels/email/oauth/callback/", {"state": "forged", "code": "c"}, follow=True)

    assert "expired or was already used" in response.content.decode()
    channel.refresh_from_db()
    assert channel.credentials == {}


def test_a_denied_consent_is_reported(client, admin, oauth_settings):
    client.force_login(admin)
    response = client.get("/channels/email/oauth/callback/", {"error": "access_denied"}, follow=True)
    assert "The mailbox was not connected: access_denied" in response.content.decode()


def test_only_admins_may_connect_a_mailbox(client, personas, oauth_settings):
    channel = oauth_channel("support@example.com")
    client.force_login(personas.agent_a)
    assert client.get(f"/channels/email/oauth/start/{channel.uuid}/").status_code == 404
    assert not OAuthState.objects.exists()


@pytest.mark.slow
def test_an_oauth_mailbox_is_read_over_pop3_with_xoauth2(oauth_settings, oauth_server, account):
    channel = mailbox_channel(account, protocol="pop3", auth_method="microsoft")
    channel.credentials = {"oauth_refresh_token": oauth_server.grant(account.address)}
    channel.save()
    account.deliver(mail(1))

    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()

    assert InboundEvent.objects.filter(channel=channel).count() == 1
    assert "https://outlook.office.com/POP.AccessAsUser.All" in token_calls(oauth_server)[-1]["scope"]
    assert Channel.objects.get(pk=channel.pk).status == Channel.Status.OK
