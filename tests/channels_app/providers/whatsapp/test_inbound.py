"""Inbound WhatsApp through the pipeline: media downloaded with the token (id → short-lived URL →
bytes), Brazilian numbers with and without the ninth digit on one contact, readable messages for
every kind, statuses only forward."""

import json

import pytest

from channels_app import services
from channels_app.models import InboundEvent
from channels_app.providers.whatsapp import sandbox
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_resolve
from conversations.models import Conversation, Message
from tests.channels_app.providers.whatsapp.conftest import (
    ACCESS_TOKEN,
    BUSINESS_WAMID,
    CUSTOMER_E164,
    CUSTOMER_WA_ID,
    fixture_bytes,
    post_to_channel,
)

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x01" * 300 + b"\xff\xd9"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_image_is_downloaded_with_the_token_and_stored_as_an_attachment(client, wa_channel, graph):
    graph.sandbox.media.items["1029384756601234"] = (JPEG, "image/jpeg", wa_channel.settings["phone_number_id"])

    post_to_channel(client, wa_channel, fixture_bytes("image"))
    assert services.inbound_drain() == 1

    message = Message.objects.get()
    assert (message.content, message.content_type) == ("A caixa chegou amassada", "image")
    [attachment] = message.attachments.all()
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "image-1029384756601234.jpg",
        "image/jpeg",
        len(JPEG),
    )
    assert attachment.file.read() == JPEG
    lookup, download = [r for r in graph.sandbox.requests if r.method == "GET"]
    assert lookup.path == "/v24.0/1029384756601234"
    assert download.path == "/download/1029384756601234"
    assert lookup.headers["Authorization"] == download.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_media_meta_no_longer_has_is_named_on_the_message_instead_of_blocking_it(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("document"))
    services.inbound_drain()

    message = Message.objects.get()
    assert message.content == "Segue o comprovante"
    assert not message.attachments.exists()
    [missing] = message.payload["missing_attachments"]
    assert missing["name"] == "comprovante-pix.pdf"
    assert "not valid" in missing["reason"]


def test_a_file_our_token_may_not_fetch_is_named_as_missing(client, wa_channel, graph):
    # The media belongs to another number: the sandbox refuses our token, as Meta would.
    graph.sandbox.media.items["1029384756601236"] = (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, "video/mp4", "999")

    post_to_channel(client, wa_channel, fixture_bytes("video"))
    services.inbound_drain()

    # A token refusal is a credentials problem: permanent, the file is named as missing.
    message = Message.objects.get()
    assert "access token" in message.payload["missing_attachments"][0]["reason"]


def test_a_transient_media_failure_keeps_the_event_pending_for_a_retry(client, wa_channel, graph, monkeypatch):
    from channels_app.adapters import ChannelError
    from channels_app.providers.whatsapp.adapter import WhatsAppAdapter

    def meta_down(self, remote):
        raise ChannelError("WhatsApp did not answer: timeout")

    monkeypatch.setattr(WhatsAppAdapter, "fetch_attachment", meta_down)
    post_to_channel(client, wa_channel, fixture_bytes("image"))
    services.inbound_drain()

    assert not Message.objects.exists()
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.PENDING and "timeout" in event.last_error


def test_a_wa_id_without_the_ninth_digit_joins_the_contact_known_by_sms(client, wa_channel, graph):
    sms = contact_resolve(medium="phone", address="+55 (11) 98765-4321", name="Maria (SMS)").contact

    post_to_channel(client, wa_channel, fixture_bytes("text"))  # from 551187654321: no ninth digit
    services.inbound_drain()

    conversation = Conversation.objects.get()
    assert conversation.contact == sms
    assert Contact.objects.count() == 1
    identity = ContactIdentity.objects.get(medium="whatsapp")
    assert (identity.address, identity.provider_address) == (CUSTOMER_E164, CUSTOMER_WA_ID)
    # Replies go to the wa_id exactly as Meta spelled it.
    from tests.factories import reply

    reply(conversation, text="Oi")
    services.outbound_drain()
    assert graph.sent()[0].json["to"] == CUSTOMER_WA_ID


def test_when_meta_switches_to_the_nine_digit_wa_id_replies_follow(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    later = json.loads(fixture_bytes("text_forwarded"))
    value = later["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = "5511987654321"
    post_to_channel(client, wa_channel, json.dumps(later).encode())
    services.inbound_drain()

    assert Conversation.objects.count() == 1 and Contact.objects.count() == 1
    assert ContactIdentity.objects.get(medium="whatsapp").send_address == "5511987654321"


def test_the_profile_name_fills_the_contact_but_never_overwrites_an_agent_s_edit(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    contact = Contact.objects.get()
    assert contact.name == "Maria Silva"
    contact.name = "Maria S. (cliente VIP)"
    contact.save()

    renamed = json.loads(fixture_bytes("text_forwarded"))
    renamed["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Mari"
    post_to_channel(client, wa_channel, json.dumps(renamed).encode())
    services.inbound_drain()

    contact.refresh_from_db()
    assert contact.name == "Maria S. (cliente VIP)"


@pytest.mark.parametrize(
    "fixture, content_type",
    [
        ("location", "location"),
        ("contacts", "contacts"),
        ("interactive_button_reply", "interactive"),
        ("interactive_list_reply", "interactive"),
        ("button_template_quick_reply", "interactive"),
        ("reaction", "reaction"),
        ("reaction_removed", "reaction"),
        ("unsupported", "unsupported"),
        ("errors_message_without_content", "unsupported"),
    ],
)
def test_every_kind_of_message_becomes_a_readable_message(client, wa_channel, graph, fixture, content_type):
    post_to_channel(client, wa_channel, fixture_bytes(fixture))
    services.inbound_drain()

    message = Message.objects.get()
    assert message.content_type == content_type
    assert message.content.strip()
    assert Conversation.objects.get().last_message_preview


def test_a_reply_and_a_reaction_point_at_the_business_message(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    from tests.factories import reply

    sent = reply(Conversation.objects.get(), text="Qual pedido?")
    services.outbound_drain()
    Message.objects.filter(pk=sent.pk).update(provider_message_id=BUSINESS_WAMID)

    for name in ("text_reply_with_context", "reaction"):
        post_to_channel(client, wa_channel, fixture_bytes(name))
    services.inbound_drain()

    replied, reacted = Message.objects.filter(
        provider_message_id__in=[
            json.loads(fixture_bytes(n))["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            for n in ("text_reply_with_context", "reaction")
        ]
    ).order_by("created_at", "id")
    assert replied.in_reply_to_id == sent.pk and reacted.in_reply_to_id == sent.pk


def test_statuses_only_move_forward_and_a_late_delivered_does_not_undo_read(client, wa_channel, graph):
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    from tests.factories import reply

    sent = reply(Conversation.objects.get(), text="Oi")
    services.outbound_drain()
    Message.objects.filter(pk=sent.pk).update(provider_message_id=BUSINESS_WAMID)

    for name in ("status_read", "status_delivered", "status_sent"):
        post_to_channel(client, wa_channel, fixture_bytes(name))
        services.inbound_drain()

    sent.refresh_from_db()
    assert sent.status == Message.Status.READ  # read came first, alone: no delivered needed


def test_sandbox_numbers_never_leak_between_channels(wa_channel):
    # A number the sandbox does not serve is refused like Meta refuses an unknown id.
    box = sandbox.GraphSandbox(numbers=lambda: [])
    reply, webhooks = box.handle(
        "POST", "/v24.0/123/messages", query={}, headers={}, body={"messaging_product": "whatsapp"}
    )
    assert reply.status == 400 and reply.body["error"]["code"] == 100 and webhooks == []
