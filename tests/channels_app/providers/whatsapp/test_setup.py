"""Setting up WhatsApp numbers: what the form requires in each mode, secrets encrypted at rest and
masked wherever shown, the instructions an admin pastes into Meta, the connection check."""

import pytest
from django.db import connection
from django.template.loader import render_to_string

from channels_app import registry, services
from channels_app.models import Channel
from channels_app.providers.whatsapp import services as wa_services
from channels_app.providers.whatsapp.forms import MetaAppForm, WhatsAppChannelForm
from channels_app.providers.whatsapp.models import MetaApp
from tests.channels_app.providers.whatsapp.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, WABA_ID

pytestmark = pytest.mark.django_db

REAL = {
    "name": "Loja Centro",
    "phone_number_id": PHONE_NUMBER_ID,
    "waba_id": WABA_ID,
    "display_phone_number": "+55 11 4000-0000",
    "access_token": ACCESS_TOKEN,
    "app_secret": APP_SECRET,
}


def _create(data) -> Channel:
    form = WhatsAppChannelForm(data=data)
    assert form.is_valid(), form.errors
    return services.channel_create(
        kind="whatsapp", name=data["name"], settings=form.settings_data(), credentials=form.credentials_data()
    )


def test_a_real_number_needs_its_ids_token_and_app_secret():
    form = WhatsAppChannelForm(data={"name": "Loja"})

    assert not form.is_valid()
    assert set(form.errors) >= {"phone_number_id", "waba_id", "access_token", "app_secret"}
    assert not WhatsAppChannelForm(data={**REAL, "phone_number_id": "+55 11 4000"}).is_valid()


def test_secrets_are_encrypted_at_rest_masked_in_the_form_and_the_verify_token_generated():
    channel = _create(REAL)

    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_app_channel WHERE id = %s", [channel.pk])
        stored = cursor.fetchone()[0]
    assert ACCESS_TOKEN not in stored and APP_SECRET not in stored
    channel.refresh_from_db()
    assert channel.credentials["access_token"] == ACCESS_TOKEN
    assert len(channel.credentials["verify_token"]) >= 32
    assert channel.settings == {
        "sandbox": False,
        "phone_number_id": PHONE_NUMBER_ID,
        "waba_id": WABA_ID,
        "display_phone_number": "+551140000000",  # normalised
        "meta_app": "",
        "media_by_link": False,
    }

    editing = WhatsAppChannelForm(channel=channel)
    html = editing.as_p()
    assert ACCESS_TOKEN not in html and APP_SECRET not in html
    assert "••••" + ACCESS_TOKEN[-4:] in html

    # Leaving secrets empty keeps them.
    kept = WhatsAppChannelForm(data={**REAL, "access_token": "", "app_secret": ""}, channel=channel)
    assert kept.is_valid(), kept.errors
    assert kept.credentials_data()["access_token"] == ACCESS_TOKEN


@pytest.mark.parametrize(
    ("written", "stored"),
    [("+55 11 4000-0000", "+551140000000"), ("(11) 98765-4321", "+5511987654321"), ("+1 555 010 0001", "+15550100001")],
)
def test_the_phone_number_is_stored_normalised(written, stored):
    channel = _create({**REAL, "display_phone_number": written})

    assert channel.settings["display_phone_number"] == stored


@pytest.mark.parametrize("written", ["12345", "not a number", "+55 11 4000-0000-0000-0000", "+1 555 0100 0001"])
def test_a_phone_number_that_is_not_one_is_refused_with_a_clear_message(written):
    form = WhatsAppChannelForm(data={**REAL, "display_phone_number": written})

    assert not form.is_valid()
    assert form.errors["display_phone_number"] == [
        "This is not a valid phone number. Write it with the country code, e.g. +55 11 4000-0000."
    ]


def test_the_phone_number_may_stay_empty():
    assert _create({**REAL, "display_phone_number": ""}).settings["display_phone_number"] == ""


def test_an_old_unchecked_phone_number_does_not_block_editing_the_channel():
    channel = _create(REAL)
    channel.settings["display_phone_number"] = "+1 555 0100 0001"  # saved before numbers were checked
    channel.save()

    form = WhatsAppChannelForm(data={**REAL, "display_phone_number": "+1 555 0100 0001"}, channel=channel)

    assert form.is_valid(), form.errors


def test_a_number_can_rely_on_a_shared_meta_app_instead_of_its_own_secret():
    app = wa_services.meta_app_create(name="App", app_secret="s3cr3t-app")
    channel = _create({**REAL, "app_secret": "", "meta_app": str(app.uuid)})

    assert channel.settings["meta_app"] == str(app.uuid)
    assert "app_secret" not in channel.credentials and "verify_token" not in channel.credentials
    assert registry.adapter_for(channel).webhook_secrets() == ("s3cr3t-app", app.credentials["verify_token"])


def test_two_channels_cannot_share_a_phone_number_id():
    _create(REAL)
    form = WhatsAppChannelForm(data={**REAL, "name": "Outra"})

    assert not form.is_valid()
    assert "phone_number_id" in form.errors


def test_sandbox_channels_are_generated_whole_and_cannot_become_real():
    form = WhatsAppChannelForm(data={"name": "Teste", "sandbox": "on"})
    assert form.is_valid(), form.errors
    channel = services.channel_create(
        kind="whatsapp", name="Teste", settings=form.settings_data(), credentials=form.credentials_data()
    )

    assert channel.settings["sandbox"] is True
    assert form.cleaned_data["name"] == "Teste (sandbox)"
    assert channel.settings["phone_number_id"].isdigit()
    assert channel.settings["display_phone_number"] == "+1555010" + channel.settings["phone_number_id"][-4:]
    assert channel.credentials["access_token"].startswith("sandbox-")
    switched = WhatsAppChannelForm(data={**REAL, "phone_number_id": "123456"}, channel=channel)
    assert not switched.is_valid()
    assert "cannot switch between sandbox and real" in str(switched.errors)


def test_the_setup_instructions_show_the_exact_callback_url_and_verify_token():
    channel = _create(REAL)

    html = render_to_string("whatsapp/instructions.html", {"channel": channel})

    assert f"http://testserver/webhooks/whatsapp/{channel.uuid}/" in html
    assert channel.credentials["verify_token"] in html
    assert APP_SECRET not in html and ACCESS_TOKEN not in html


def test_with_a_meta_app_the_instructions_give_the_app_level_url():
    app = wa_services.meta_app_create(name="App", app_secret="s3cr3t-app", verify_token="vt-shared")
    channel = _create({**REAL, "app_secret": "", "meta_app": str(app.uuid)})

    html = render_to_string("whatsapp/instructions.html", {"channel": channel})

    assert f"http://testserver/webhooks/whatsapp/app/{app.uuid}/" in html
    assert "vt-shared" in html


def test_a_sandbox_channel_is_labelled_as_such_in_its_instructions():
    form = WhatsAppChannelForm(data={"name": "Teste", "sandbox": "on"})
    assert form.is_valid()
    channel = services.channel_create(
        kind="whatsapp", name="Teste", settings=form.settings_data(), credentials=form.credentials_data()
    )

    html = render_to_string("whatsapp/instructions.html", {"channel": channel})

    assert "Sandbox" in html and "never to a real phone" in html
    assert "simulate whatsapp" in html


def test_meta_app_form_keeps_secrets_write_only():
    app = wa_services.meta_app_create(name="App", app_secret="s3cr3t-app-0123456789")
    form = MetaAppForm(data={"name": "App 2", "app_id": "77", "app_secret": "", "verify_token": ""}, app=app)

    assert form.is_valid(), form.errors
    assert "s3cr3t-app-0123456789" not in form.as_p()
    assert form.credentials_data() == app.credentials
    assert MetaApp.objects.get().webhook_url == f"http://testserver/webhooks/whatsapp/app/{app.uuid}/"


def test_test_connection_reports_the_number_or_flags_a_refused_token(wa_channel, graph):
    result = services.channel_check(channel=wa_channel)
    assert result.ok
    assert "+1 555 078 3881" in result.detail and "GREEN" in result.detail

    wa_channel.credentials = {**wa_channel.credentials, "access_token": "revoked"}
    result = services.channel_check(channel=wa_channel)
    assert not result.ok and "access token" in result.detail
    assert Channel.objects.get(pk=wa_channel.pk).status == Channel.Status.NEEDS_RECONNECT
