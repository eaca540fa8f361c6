"""WhatsApp in the generic console: "Send a template" in the composer (prominent when the window is
closed), the sandbox badge in the header, "Start a WhatsApp conversation" on contact pages,
shared contacts as cards, several files sent as several messages."""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from channels_app import services
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import fixture_json, make_channel, post_to_channel
from tests.factories import conversation_with_customer

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agent(client, wa_channel, personas):
    account_services.inbox_member_add(channel=wa_channel, user=personas.agent_a)
    client.force_login(personas.agent_a)
    return personas.agent_a


def _receive(client, channel, payload: dict) -> Conversation:
    post_to_channel(client, channel, json.dumps(payload).encode())
    services.inbound_drain()
    return Conversation.objects.get(channel=channel)


@pytest.fixture
def conversation(client, wa_channel, graph) -> Conversation:
    return _receive(client, wa_channel, fixture_json("text"))


def _composer(client, conversation) -> str:
    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()
    return page[page.index('<form id="composer"') :].split("</form>", 1)[0]


def test_a_closed_window_puts_send_a_template_next_to_the_reason(client, agent, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))

    composer = _composer(client, conversation)

    policy = re.search(r'<p class="policy" role="note">(.*?)</p>', composer, re.S).group(1)
    assert "More than 24 hours since the customer last wrote" in policy
    url = f"/conversations/{conversation.uuid}/whatsapp-template/"
    assert f'<a class="button primary" href="{url}" id="composer-template">Send a template</a>' in policy
    assert client.get(f"/conversations/{conversation.uuid}/whatsapp-template/").status_code == 200


def test_an_open_window_still_offers_templates_quietly(client, agent, conversation):
    composer = _composer(client, conversation)

    assert 'class="policy"' not in composer
    assert (
        f'<a class="button secondary" href="/conversations/{conversation.uuid}/whatsapp-template/"'
        ' id="composer-template">Send a template</a>' in composer
    )


def test_channels_without_templates_offer_none(client, personas):
    conversation = conversation_with_customer(personas.channel_a)
    client.force_login(personas.agent_a)

    assert "composer-template" not in _composer(client, conversation)


def test_sandbox_conversations_carry_a_badge_in_the_header_and_real_ones_do_not(client, agent, conversation, personas):
    real_header = client.get(f"/conversations/{conversation.uuid}/header/", **HX).content.decode()
    assert "sandbox-badge" not in real_header

    sandbox_channel = make_channel("Loja Teste", phone_number_id="199990000000001", sandbox=True)
    account_services.inbox_member_add(channel=sandbox_channel, user=personas.agent_a)
    payload = fixture_json("text")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "199990000000001"
    sandboxed = _receive(client, sandbox_channel, payload)

    header = client.get(f"/conversations/{sandboxed.uuid}/header/", **HX).content.decode()
    assert '<span class="sandbox-badge"' in header and ">Sandbox</span>" in header


def test_contact_pages_link_to_starting_a_whatsapp_conversation(client, agent, conversation, personas):
    contact = conversation.contact

    page = client.get(f"/contacts/{contact.uuid}/").content.decode()
    assert f'href="/whatsapp/new/?contact={contact.uuid}">Start a WhatsApp conversation</a>' in page
    assert client.get(f"/whatsapp/new/?contact={contact.uuid}").status_code == 200

    client.force_login(personas.agent_b)  # works no WhatsApp inbox
    other = conversation_with_customer(personas.channel_b, sender_id="b1").contact
    assert "Start a WhatsApp conversation" not in client.get(f"/contacts/{other.uuid}/").content.decode()


def test_shared_contacts_are_cards_with_their_phones_and_e_mails_escaped(client, agent, wa_channel, graph):
    payload = fixture_json("contacts")
    card = payload["entry"][0]["changes"][0]["value"]["messages"][0]["contacts"][0]
    card["name"]["formatted_name"] = "<script>alert(1)</script> João"
    conversation = _receive(client, wa_channel, payload)

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    cards = re.search(r'<ul class="contact-cards".*?</li>\n\s+</ul>', page, re.S).group(0)
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt; João</strong>" in cards
    assert "<script>alert(1)" not in page
    assert '<a href="tel:+5521998761234">+55 21 99876-1234</a>' in cards
    assert '<a href="mailto:joao@example.com">joao@example.com</a>' in cards
    assert "Pereira &amp; Filhos" in cards
    message = conversation.messages.get(content_type="contacts")
    fragment = client.get(f"/messages/{message.uuid}/", **HX).content.decode()
    assert 'class="contact-card"' in fragment and 'class="text"' not in fragment  # cards instead of the text lines


def test_several_files_from_the_composer_go_and_show_as_one_message_each(client, agent, conversation, graph):
    response = client.post(
        f"/conversations/{conversation.uuid}/messages/",
        {
            "content": "Fotos",
            "files": [SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"), SimpleUploadedFile("b.jpg", JPEG, "image/jpeg")],
        },
        **HX,
    )

    assert response.status_code == 200
    sent = list(Message.objects.filter(sender_user=agent).order_by("created_at"))
    assert [(m.content, m.attachments.get().name) for m in sent] == [("Fotos", "a.jpg"), ("", "b.jpg")]
    html = response.content.decode()
    assert html.count('<li id="msg-') == 2 and html.index(str(sent[0].uuid)) < html.index(str(sent[1].uuid))
    services.outbound_drain()
    assert [r.json["type"] for r in graph.sent()] == ["image", "image"]
