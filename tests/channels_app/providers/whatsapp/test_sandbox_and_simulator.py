"""The product's sandbox as `make run` uses it: a sandbox channel, the simulator command playing
the customer over real HTTP against a running server, the sandbox Graph API mounted in that same
server answering the channel's sends and posting signed statuses back."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts import services as account_services
from channels_app import services
from channels_app.models import InboundEvent
from channels_app.providers.whatsapp.forms import WhatsAppChannelForm
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import make_channel

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x02" * 300 + b"\xff\xd9"


def sandbox_channel(name="Loja Sandbox"):
    form = WhatsAppChannelForm(data={"name": name, "sandbox": "on"})
    assert form.is_valid(), form.errors
    return services.channel_create(
        kind="whatsapp", name=name, settings=form.settings_data(), credentials=form.credentials_data()
    )


@pytest.fixture
def running(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with override_settings(PUBLIC_BASE_URL=live_server.url):
        yield live_server


def simulate(*args) -> str:
    out = io.StringIO()
    call_command("simulate", "whatsapp", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_simulator_and_the_sandbox_play_the_whole_conversation(running, tmp_path):
    channel = sandbox_channel()
    agent = account_services.user_create(
        username="ana", email="ana@example.com", password="pw-ana-123", first_name="Ana", availability="online"
    )
    account_services.inbox_member_add(channel=channel, user=agent)

    out = simulate("--channel", str(channel.uuid), "--from", "+55 11 99999-0000", "--name", "Joana", "--text", "Olá!")
    assert out.startswith("200 ")
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.content == "Olá!"
    conversation = message.conversation
    assert conversation.assignee == agent
    assert conversation.contact.name == "Joana"
    assert InboundEvent.objects.get().headers["x-hub-signature-256"].startswith("sha256=")

    reply = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content="Oi Joana, tudo bem?"), sender=agent
    )
    reply.refresh_from_db()
    # Sent through the sandbox Graph API of the running server, which posted sent/delivered/read back.
    assert reply.status == Message.Status.READ
    assert reply.provider_message_id.startswith("wamid.")

    photo = tmp_path / "foto.jpg"
    photo.write_bytes(JPEG)
    simulate("--channel", channel.name, "--from", "+5511999990000", "--image", str(photo), "--caption", "olha")
    image = Message.objects.filter(content_type="image").get()
    assert image.content == "olha"
    assert image.attachments.get().file.read() == JPEG

    simulate("--channel", channel.name, "--from", "+5511999990000", "--button-reply", "yes:Sim")
    simulate("--channel", channel.name, "--from", "+5511999990000", "--list-reply", "slot-2:Terça 10h")
    assert Message.objects.get(content="Terça 10h").in_reply_to == reply
    simulate("--channel", channel.name, "--from", "+5511999990000", "--reaction", "❤️")
    reaction = Message.objects.get(content_type="reaction")
    assert reaction.in_reply_to == reply
    transcript = simulate(
        "--channel", channel.name, "--from", "+5511999990000", "--location=-23.56,-46.65", "--show", "--wait", "0"
    )
    assert "business‹ Oi Joana, tudo bem?  ✓✓ (read)" in transcript
    assert "me      › Sim" in transcript
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_demo_recipient_ending_in_1047_shows_meta_s_window_failure(running):
    channel = sandbox_channel()
    simulate("--channel", channel.name, "--from", "+55 11 98888-1047", "--text", "oi")
    conversation = Conversation.objects.get()

    reply = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content="Oi"), sender=None
    )

    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert reply.error_reason == "More than 24 hours since the customer last wrote: send an approved template."


@pytest.mark.django_db
def test_the_simulator_refuses_real_numbers():
    channel = make_channel()
    with pytest.raises(CommandError, match="real number"):
        simulate("--channel", str(channel.uuid), "--text", "oi")


@pytest.mark.django_db
def test_the_mounted_sandbox_checks_the_token_and_answers_like_meta(client):
    channel = sandbox_channel()
    number = channel.settings["phone_number_id"]
    url = f"/sandbox/whatsapp/graph/v24.0/{number}/messages"
    body = {"messaging_product": "whatsapp", "to": "5511999990000", "type": "text", "text": {"body": "oi"}}

    refused = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == 190

    token = channel.credentials["access_token"]
    with pytest.MonkeyPatch.context() as patch:
        queued = []
        patch.setattr("core.tasks.run", lambda path, *args: queued.append((path, args)))
        ok = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200
    wamid = ok.json()["messages"][0]["id"]
    assert ok.json()["contacts"] == [{"input": "5511999990000", "wa_id": "5511999990000"}]
    [(path, (channel_id, bodies))] = queued
    assert path.endswith("sandbox_post_webhooks") and channel_id == channel.pk
    assert [b.count(wamid) for b in bodies] == [1, 1, 1]
    assert ['"status":"sent"' in bodies[0], '"status":"delivered"' in bodies[1], '"status":"read"' in bodies[2]] == [
        True
    ] * 3

    check = client.get(f"/sandbox/whatsapp/graph/v24.0/{number}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert check.json()["display_phone_number"] == channel.settings["display_phone_number"]


def test_readme_and_docs_name_the_simulator_command():
    root = Path(__file__).resolve().parents[4]
    assert "simulate whatsapp" in (root / "docs" / "channels" / "whatsapp.md").read_text()
    assert "simulate whatsapp" in (root / "README.md").read_text()


@pytest.mark.django_db
def test_make_run_s_demo_data_includes_a_sandbox_whatsapp_number_once():
    from channels_app.models import Channel
    from channels_app.providers.whatsapp.demo import DEMO_NAME
    from channels_app.providers.whatsapp.models import MessageTemplate

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)

    channel = Channel.objects.get(kind="whatsapp")
    assert channel.name == DEMO_NAME and channel.settings["sandbox"] is True
    assert out.getvalue().count("WhatsApp sandbox demo loaded") == 1
    assert MessageTemplate.objects.filter(waba_id=channel.settings["waba_id"], status="APPROVED").count() == 3
    conversation = Conversation.objects.get(channel=channel)
    assert conversation.assignee is not None
    assert channel.memberships.count() >= 3
