"""The WhatsApp console pages: template picker with preview, starting conversations, templates
of a channel, Meta apps, the simulator; and who may see them (404 otherwise)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from channels_app import services
from channels_app.providers.whatsapp import services as wa_services
from channels_app.providers.whatsapp.forms import WhatsAppChannelForm
from channels_app.providers.whatsapp.models import MessageTemplate, MetaApp
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import fixture_bytes, post_to_channel

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(client, wa_channel, personas):
    account_services.inbox_member_add(channel=wa_channel, user=personas.agent_a)
    client.force_login(personas.agent_a)
    return personas.agent_a


@pytest.fixture
def conversation(client, wa_channel, graph) -> Conversation:
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    wa_services.template_sync(channel=wa_channel)
    return Conversation.objects.get()


def test_the_picker_lists_approved_templates_and_shows_the_others_unavailable(client, agent, conversation):
    page = client.get(f"/conversations/{conversation.uuid}/whatsapp-template/").content.decode()

    assert "pedido_enviado" in page and "order_update" in page
    assert "unavailable: Paused" in page and "unavailable: Rejected" in page
    assert "PROMOTIONAL" in page


def test_choosing_a_template_shows_its_fields_and_a_live_preview(client, agent, conversation):
    template = MessageTemplate.objects.get(name="pedido_enviado")
    url = f"/conversations/{conversation.uuid}/whatsapp-template/"

    page = client.get(url, {"template": template.uuid}).content.decode()
    assert 'name="body.1"' in page and 'name="header.1"' in page and 'name="buttons.0"' in page
    assert 'placeholder="Maria"' in page  # Meta's example values as hints

    preview = client.post(
        url, {"template": template.uuid, "action": "preview", "body.1": "Ana", "body.2": "#7", "header.1": "#7"}, **HX
    ).content.decode()
    assert "Olá Ana, seu pedido #7 saiu para entrega e chega em {{3}}." in preview
    assert "<form" not in preview  # only the fragment


def test_sending_a_template_outside_the_window_queues_it_and_returns_to_the_conversation(
    client, agent, conversation, graph
):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    template = MessageTemplate.objects.get(name="order_update")

    response = client.post(
        f"/conversations/{conversation.uuid}/whatsapp-template/",
        {"template": template.uuid, "action": "send", "body.1": "Maria", "body.2": "#4521"},
    )

    assert response.status_code == 302 and response["Location"] == f"/conversations/{conversation.uuid}/"
    message = Message.objects.get(content_type="template")
    assert message.sender_user == agent
    assert message.content == "Hi Maria, your order #4521 has shipped."
    services.outbound_drain()
    assert graph.sent()[-1].json["template"]["name"] == "order_update"


def test_a_template_with_missing_parameters_is_refused_on_the_page(client, agent, conversation):
    template = MessageTemplate.objects.get(name="order_update")

    response = client.post(
        f"/conversations/{conversation.uuid}/whatsapp-template/",
        {"template": template.uuid, "action": "send", "body.1": "Maria"},
    )

    assert response.status_code == 422
    assert "Fill in the template&#x27;s parameters: Text {{2}}." in response.content.decode()
    assert not Message.objects.filter(content_type="template").exists()


def test_the_picker_is_a_404_for_someone_who_may_not_see_the_conversation(client, personas, conversation):
    client.force_login(personas.agent_b)

    assert client.get(f"/conversations/{conversation.uuid}/whatsapp-template/").status_code == 404


def test_an_agent_starts_a_conversation_with_a_phone_number(client, agent, wa_channel, conversation, graph):
    template = MessageTemplate.objects.get(name="order_update")

    response = client.post(
        "/whatsapp/new/",
        {
            "channel": wa_channel.uuid,
            "phone": "+55 21 99876-1234",
            "template": template.uuid,
            "action": "send",
            "body.1": "João",
            "body.2": "#88",
        },
    )

    new = Conversation.objects.exclude(pk=conversation.pk).get()
    assert response["Location"] == f"/conversations/{new.uuid}/"
    assert new.assignee == agent
    assert new.contact.phone == "+5521998761234"


def test_starting_a_conversation_with_the_channel_s_own_number_is_refused_under_the_number(
    client, agent, wa_channel, graph
):
    wa_services.template_sync(channel=wa_channel)
    template = MessageTemplate.objects.get(name="order_update")

    response = client.post(
        "/whatsapp/new/",
        {
            "channel": wa_channel.uuid,
            "phone": "+1 (555) 078-3881",  # the channel's display number, spelt another way
            "template": template.uuid,
            "action": "send",
            "body.1": "João",
            "body.2": "#88",
        },
    )
    services.outbound_drain()

    page = response.content.decode()
    assert response.status_code == 422
    assert '<div class="error" id="wa-phone_error"><p>This is the channel&#x27;s own number.</p></div>' in page
    assert 'aria-invalid="true" aria-describedby="wa-phone_error"' in page
    assert 'value="+1 (555) 078-3881"' in page  # what was typed stays, to be corrected
    assert not Conversation.objects.exists() and not Message.objects.exists()
    assert [call for call in graph.sent() if call.json.get("type") == "template"] == []


def test_starting_from_a_contact_the_agent_may_not_see_is_a_404(client, agent, wa_channel, personas):
    from tests.factories import conversation_with_customer

    hidden = conversation_with_customer(personas.channel_b, sender_id="secret").contact

    assert client.get("/whatsapp/new/", {"contact": hidden.uuid}).status_code == 404


def test_admins_sync_templates_from_the_channel_s_template_page(client, personas, wa_channel, graph):
    client.force_login(personas.admin)

    response = client.post(f"/settings/channels/{wa_channel.uuid}/templates/")
    page = client.get(response["Location"]).content.decode()

    assert "5 templates synced from Meta." in page
    assert "pedido_enviado" in page and "Unavailable (Paused)" in page
    client.force_login(personas.agent_a)
    assert client.get(f"/settings/channels/{wa_channel.uuid}/templates/").status_code == 404


def test_a_sync_meta_refuses_is_reported_not_a_500(client, personas, wa_channel, graph):
    wa_channel.credentials = {**wa_channel.credentials, "access_token": "revoked"}
    wa_channel.save()
    client.force_login(personas.admin)

    page = client.post(f"/settings/channels/{wa_channel.uuid}/templates/", follow=True).content.decode()

    assert "Templates could not be synced" in page and "access token" in page


def test_admins_record_a_meta_app_and_see_its_callback_url_and_verify_token(client, personas):
    client.force_login(personas.admin)

    response = client.post(
        "/settings/whatsapp/meta-apps/",
        {"name": "App Lojas", "app_id": "123", "app_secret": "super-secret-app", "verify_token": ""},
    )

    app = MetaApp.objects.get()
    assert response["Location"] == f"/settings/whatsapp/meta-apps/{app.uuid}/"
    page = client.get(response["Location"]).content.decode()
    assert app.webhook_url in page and app.credentials["verify_token"] in page
    assert "super-secret-app" not in page
    client.force_login(personas.agent_a)
    assert client.get("/settings/whatsapp/meta-apps/").status_code == 404


def test_the_channel_settings_page_shows_whatsapp_instructions(client, personas, wa_channel):
    client.force_login(personas.admin)

    page = client.get(f"/settings/channels/{wa_channel.uuid}/").content.decode()

    assert f"/webhooks/whatsapp/{wa_channel.uuid}/" in page
    assert wa_channel.credentials["verify_token"] in page
    assert wa_channel.credentials["access_token"] not in page and wa_channel.credentials["app_secret"] not in page
    assert f"/settings/channels/{wa_channel.uuid}/templates/" in page


def test_the_simulator_page_queues_a_signed_customer_message_and_shows_the_transcript(client, personas, monkeypatch):
    form = WhatsAppChannelForm(data={"name": "Demo", "sandbox": "on"})
    assert form.is_valid()
    channel = services.channel_create(
        kind="whatsapp",
        name=form.cleaned_data["name"],
        settings=form.settings_data(),
        credentials=form.credentials_data(),
    )
    client.force_login(personas.admin)
    queued = []
    monkeypatch.setattr("core.tasks.run", lambda path, *args: queued.append((path, args)))

    page = client.get(f"/whatsapp/simulator/{channel.uuid}/").content.decode()
    assert "Sandbox" in page and "Demo (sandbox)" in page
    response = client.post(
        f"/whatsapp/simulator/{channel.uuid}/send/",
        {"from": "+5511999990000", "name": "Bia", "kind": "text", "text": "Oi!"},
    )

    assert response.status_code == 302 and "from=%2B5511999990000" in response["Location"]
    [(path, (channel_id, body))] = queued
    assert path.endswith("simulator_post") and channel_id == channel.pk
    assert '"body":"Oi!"' in body and '"name":"Bia"' in body


def _sandbox_channel():
    form = WhatsAppChannelForm(data={"name": "Demo", "sandbox": "on"})
    assert form.is_valid(), form.errors
    return services.channel_create(
        kind="whatsapp",
        name=form.cleaned_data["name"],
        settings=form.settings_data(),
        credentials=form.credentials_data(),
    )


def test_the_simulator_says_once_that_a_number_is_not_valid(client, personas, monkeypatch):
    channel = _sandbox_channel()
    client.force_login(personas.admin)
    queued = []
    monkeypatch.setattr("core.tasks.run", lambda path, *args: queued.append((path, args)))

    response = client.post(
        f"/whatsapp/simulator/{channel.uuid}/send/", {"from": "12ab", "name": "Bia", "kind": "text", "text": "Oi!"}
    )
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302 and not queued
    assert page.count("This is not a valid phone number: 12ab") == 1  # inline, next to the number; no flash
    assert "This is not a valid phone number" not in client.get(f"/whatsapp/simulator/{channel.uuid}/").content.decode()


def test_the_simulator_still_flashes_other_refusals(client, personas, monkeypatch):
    channel = _sandbox_channel()
    client.force_login(personas.admin)
    monkeypatch.setattr("core.tasks.run", lambda path, *args: None)

    response = client.post(
        f"/whatsapp/simulator/{channel.uuid}/send/", {"from": "+5511999990000", "kind": "text", "text": " "}
    )

    assert client.get(response["Location"]).content.decode().count("Write a message.") == 1


def test_the_simulate_command_explains_every_option():
    from channels_app.providers.whatsapp.management.commands.simulate import Command

    parser = Command().create_parser("manage.py", "simulate")

    assert [action.dest for action in parser._actions if not action.help] == []
    text = parser.format_help()
    for option in ("--text", "--image", "--location", "--contact", "--reaction", "--unreact", "--caption"):
        assert option in text


def test_the_simulator_does_not_exist_for_real_numbers(client, personas, wa_channel):
    client.force_login(personas.admin)

    assert client.get(f"/whatsapp/simulator/{wa_channel.uuid}/").status_code == 404
