"""Setting up a mailbox in the console, and a message's full original (authorised like the rest)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from channels_app import services as channel_services
from channels_app.models import Channel, InboundEvent
from channels_app.providers.email.forms import EmailChannelForm
from conversations.models import Message
from tests.channels_app.providers.email.conftest import fixture_bytes, make_email_channel

pytestmark = pytest.mark.django_db

GENERIC = {
    "name": "Suporte",
    "address": "suporte@acme.com.br",
    "display_name": "Acme Suporte",
    "auth_method": "password",
    "password": "app-password-1",
    "protocol": "imap",
    "inbound_host": "imap.acme.com.br",
    "inbound_security": "ssl",
    "after_fetch": "seen",
    "smtp_host": "smtp.acme.com.br",
    "smtp_security": "starttls",
    "poll_interval": "30",
    "import_since": "2026-11-01",
}


def test_a_generic_server_is_configured_with_default_ports_and_a_secret_password():
    form = EmailChannelForm(GENERIC)
    assert form.is_valid(), form.errors
    settings = form.settings_data()
    assert (settings["inbound_port"], settings["smtp_port"]) == (993, 587)
    assert settings["import_since"] == "2026-11-01"
    assert settings["poll_interval"] == 30
    assert settings["folder"] == "INBOX"
    assert "password" not in settings
    assert form.credentials_data() == {"password": "app-password-1"}


def test_the_import_date_cannot_be_in_the_future():
    tomorrow = timezone.localdate() + timedelta(days=1)

    form = EmailChannelForm({**GENERIC, "import_since": tomorrow.isoformat()})

    assert not form.is_valid()
    assert form.errors["import_since"] == ["This date cannot be in the future."]


def test_the_import_date_may_be_today_or_empty():
    today = EmailChannelForm({**GENERIC, "import_since": timezone.localdate().isoformat()})
    empty = EmailChannelForm({**GENERIC, "import_since": ""})

    assert today.is_valid(), today.errors
    assert today.settings_data()["import_since"] == timezone.localdate().isoformat()
    assert empty.is_valid() and empty.settings_data()["import_since"] == ""


def test_the_console_shows_why_a_future_import_date_is_refused(client, admin):
    client.force_login(admin)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post("/settings/channels/new/email/", {**GENERIC, "import_since": tomorrow.isoformat()})

    assert response.status_code == 200
    assert "This date cannot be in the future." in response.content.decode()
    assert not Channel.objects.filter(kind="email").exists()


def test_a_password_and_servers_are_required_for_a_generic_server():
    form = EmailChannelForm({**GENERIC, "password": "", "inbound_host": "", "smtp_host": ""})
    assert not form.is_valid()
    assert set(form.errors) == {"password", "inbound_host", "smtp_host"}


def test_plain_text_connections_are_refused_off_this_machine():
    form = EmailChannelForm({**GENERIC, "inbound_security": "none"})
    assert not form.is_valid()
    assert "clear text" in form.errors["inbound_security"][0]
    assert EmailChannelForm({**GENERIC, "inbound_security": "none", "inbound_host": "127.0.0.1"}).is_valid()


def test_an_oauth_mailbox_gets_the_providers_servers(settings):
    settings.EMAIL_OAUTH_CLIENTS = {
        "google": {"client_id": "id", "client_secret": "secret"},
        "microsoft": {"client_id": "", "client_secret": ""},
    }
    data = {**GENERIC, "auth_method": "google", "password": "", "inbound_host": "", "smtp_host": ""}
    form = EmailChannelForm(data)
    assert form.is_valid(), form.errors
    settings_data = form.settings_data()
    assert (settings_data["inbound_host"], settings_data["inbound_port"]) == ("imap.gmail.com", 993)
    assert (settings_data["smtp_host"], settings_data["smtp_port"], settings_data["smtp_security"]) == (
        "smtp.gmail.com",
        465,
        "ssl",
    )
    microsoft = EmailChannelForm({**data, "auth_method": "microsoft"})
    assert not microsoft.is_valid()
    assert "not set up on this server" in str(microsoft.errors)


def test_editing_keeps_the_stored_password_when_left_empty():
    channel = channel_services.channel_create(
        kind="email",
        name="Suporte",
        settings={},
        credentials={"password": "stored-secret-123"},
    )
    form = EmailChannelForm({**GENERIC, "password": ""}, channel=channel)
    assert form.is_valid(), form.errors
    assert form.credentials_data()["password"] == "stored-secret-123"
    assert "stored-secret-123" not in str(form["password"])


@pytest.fixture
def admin(db):
    return account_services.user_create(
        username="olga", email="olga@example.com", password="pw-olga-123", role=User.Role.ADMIN
    )


def test_the_console_creates_an_email_channel_and_shows_its_instructions(client, admin):
    client.force_login(admin)
    assert client.get("/settings/channels/new/email/").status_code == 200

    response = client.post("/settings/channels/new/email/", GENERIC)

    channel = Channel.objects.get(kind="email")
    assert response.status_code == 302
    page = client.get(f"/settings/channels/{channel.uuid}/").content.decode()
    assert "Replies are sent from suporte@acme.com.br" in page
    assert "app-password-1" not in page


def test_the_instructions_of_an_oauth_mailbox_link_to_the_sign_in(client, admin):
    channel = make_email_channel(auth_method="google")
    client.force_login(admin)
    page = client.get(f"/settings/channels/{channel.uuid}/").content.decode()
    assert f"/channels/email/oauth/start/{channel.uuid}/" in page


def received_html_mail(channel) -> Message:
    channel_services.inbound_event_record(
        channel=channel,
        kind="email",
        endpoint=f"mailbox:{channel.uuid}",
        dedupe_key="mid:html-inline-1@lojabela.com.br",
        body=fixture_bytes("html_only_inline_image.eml"),
        headers={},
    )
    channel_services.inbound_drain()
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
    return Message.objects.get(channel=channel, direction=Message.Direction.INBOUND)


def test_an_agent_of_the_inbox_sees_the_original_in_a_sandbox(client, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    channel = make_email_channel()
    account_services.inbox_member_add(channel=channel, user=personas.agent_a)
    message = received_html_mail(channel)
    client.force_login(personas.agent_a)

    page = client.get(f"/channels/email/messages/{message.uuid}/original/")
    body = client.get(f"/channels/email/messages/{message.uuid}/original/body/")

    assert page.status_code == 200
    assert "Foto do produto com defeito" in page.content.decode()
    assert body.status_code == 200
    assert body["Content-Security-Policy"].startswith("sandbox")
    html = body.content.decode()
    assert "<script" not in html
    assert "cid:" not in html  # the inline image points at our signed attachment URL instead
    assert '<img src="/attachments/' in html


def test_the_original_is_not_found_for_agents_of_other_inboxes(client, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    channel = make_email_channel()
    account_services.inbox_member_add(channel=channel, user=personas.agent_a)
    message = received_html_mail(channel)

    for user in (personas.agent_b, personas.outsider):
        client.force_login(user)
        assert client.get(f"/channels/email/messages/{message.uuid}/original/").status_code == 404
        assert client.get(f"/channels/email/messages/{message.uuid}/original/body/").status_code == 404
    client.logout()
    assert client.get(f"/channels/email/messages/{message.uuid}/original/").status_code == 302  # to sign in
