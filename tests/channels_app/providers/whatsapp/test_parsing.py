"""Every recorded WhatsApp payload (tests/fixtures/whatsapp/) → the items parse() returns.

The fixtures follow Meta's webhook shapes (envelope, `messages`, `statuses`, errors, template
status updates). Each one has a case here; a fixture without a case fails the suite.
"""

from datetime import UTC, datetime

import pytest

from channels_app.adapters import InboundMessage, StatusUpdate
from channels_app.providers.whatsapp import parsing
from channels_app.providers.whatsapp.adapter import WhatsAppAdapter
from channels_app.providers.whatsapp.parsing import TemplateStatusChange
from tests.channels_app.providers.whatsapp.conftest import (
    BUSINESS_WAMID,
    CUSTOMER_WA_ID,
    FIXTURES,
    PHONE_NUMBER_ID,
    WABA_ID,
    fixture_bytes,
    make_channel,
)

pytestmark = pytest.mark.django_db


def _one(items) -> InboundMessage:
    [item] = items
    assert isinstance(item, InboundMessage)
    assert item.sender.medium == "whatsapp"
    assert item.sender.address == CUSTOMER_WA_ID
    assert item.sender.name == "Maria Silva"
    assert item.provider_message_id.startswith("wamid.")
    return item


def case_text(items):
    item = _one(items)
    assert (item.content, item.content_type) == ("Olá! Meu pedido #4521 ainda não chegou.", "text")
    assert item.timestamp == datetime(2024, 10, 29, 19, 58, 23, tzinfo=UTC)
    assert item.reply_to_provider_id == "" and item.attachments == ()


def case_text_reply_with_context(items):
    item = _one(items)
    assert item.content == "Esse mesmo, obrigado"
    assert item.reply_to_provider_id == BUSINESS_WAMID


def case_text_forwarded(items):
    item = _one(items)
    assert item.content == "Olha essa promoção"
    assert item.payload["forwarded"] == "frequently"
    assert item.reply_to_provider_id == ""


def _media(items, *, content_type, media_id, name, mime, caption=""):
    item = _one(items)
    assert item.content_type == content_type
    assert item.content == caption
    [attachment] = item.attachments
    assert attachment.url == parsing.MEDIA_REF_PREFIX + media_id
    assert (attachment.name, attachment.content_type) == (name, mime)
    assert item.payload["media"]["id"] == media_id
    return item


def case_image(items):
    _media(
        items,
        content_type="image",
        media_id="1029384756601234",
        name="image-1029384756601234.jpg",
        mime="image/jpeg",
        caption="A caixa chegou amassada",
    )


def case_audio_voice(items):
    item = _media(
        items, content_type="audio", media_id="1029384756601235", name="audio-1029384756601235.ogg", mime="audio/ogg"
    )
    assert item.payload["media"]["voice"] is True
    assert item.payload["media"]["mime_type"] == "audio/ogg; codecs=opus"


def case_video(items):
    _media(
        items,
        content_type="video",
        media_id="1029384756601236",
        name="video-1029384756601236.mp4",
        mime="video/mp4",
        caption="Vídeo do produto",
    )


def case_document(items):
    _media(
        items,
        content_type="file",
        media_id="1029384756601237",
        name="comprovante-pix.pdf",
        mime="application/pdf",
        caption="Segue o comprovante",
    )


def case_sticker(items):
    item = _media(
        items,
        content_type="sticker",
        media_id="1029384756601238",
        name="sticker-1029384756601238.webp",
        mime="image/webp",
    )
    assert item.payload["media"]["animated"] is False


def case_location(items):
    item = _one(items)
    assert item.content_type == "location"
    map_url = "https://www.google.com/maps/search/?api=1&query=-23.5614,-46.6559"
    assert item.content == f"📍 MASP, Av. Paulista, 1578 - Bela Vista, São Paulo - SP\n{map_url}"
    assert item.payload == {
        "latitude": -23.5614,
        "longitude": -46.6559,
        "name": "MASP",
        "address": "Av. Paulista, 1578 - Bela Vista, São Paulo - SP",
        "url": "https://masp.org.br",
        "map_url": map_url,
    }


def case_contacts(items):
    item = _one(items)
    assert item.content_type == "contacts"
    assert item.content == "👤 João Pereira (+55 21 99876-1234)"
    assert item.payload["contacts"] == [
        {
            "name": "João Pereira",
            "phones": [{"phone": "+55 21 99876-1234", "wa_id": "5521998761234", "type": "CELL"}],
            "emails": ["joao@example.com"],
            "org": "Pereira & Filhos",
        }
    ]


def case_interactive_button_reply(items):
    item = _one(items)
    assert (item.content, item.content_type) == ("Entrega", "interactive")
    assert item.payload["reply"] == {"type": "button_reply", "id": "delivery", "title": "Entrega"}
    assert item.reply_to_provider_id == BUSINESS_WAMID


def case_interactive_list_reply(items):
    item = _one(items)
    assert item.content == "Sedex\nEntrega em 1 a 2 dias"
    assert item.payload["reply"] == {
        "type": "list_reply",
        "id": "express",
        "title": "Sedex",
        "description": "Entrega em 1 a 2 dias",
    }


def case_button_template_quick_reply(items):
    item = _one(items)
    assert (item.content, item.content_type) == ("Falar com atendente", "interactive")
    assert item.payload["reply"] == {"type": "button", "payload": "TALK_TO_AGENT", "text": "Falar com atendente"}
    assert item.reply_to_provider_id == BUSINESS_WAMID


def case_reaction(items):
    item = _one(items)
    assert (item.content, item.content_type) == ("👍", "reaction")
    assert item.payload["reaction"] == {"message_id": BUSINESS_WAMID, "emoji": "👍", "removed": False}
    assert item.reply_to_provider_id == BUSINESS_WAMID


def case_reaction_removed(items):
    item = _one(items)
    assert item.content_type == "reaction"
    assert item.content == "Removed a reaction"
    assert item.payload["reaction"]["removed"] is True


def case_unsupported(items):
    item = _one(items)
    assert item.content_type == "unsupported"
    assert "type: poll" in item.content and "Message type is currently not supported." in item.content
    assert item.payload["errors"][0]["code"] == 131051


def case_errors_message_without_content(items):
    item = _one(items)
    assert item.content_type == "unsupported"
    assert "Unsupported webhook payload" in item.content
    assert item.payload["errors"][0]["code"] == 131000


def _status(items, state) -> StatusUpdate:
    [item] = items
    assert isinstance(item, StatusUpdate)
    assert (item.state, item.provider_message_id) == (state, BUSINESS_WAMID)
    assert item.timestamp is not None
    return item


def case_status_sent(items):
    assert _status(items, "sent").error == ""


def case_status_delivered(items):
    _status(items, "delivered")


def case_status_read(items):
    _status(items, "read")


def case_status_failed_131047(items):
    item = _status(items, "failed")
    assert item.error == "More than 24 hours since the customer last wrote: send an approved template."
    assert item.error_code == "131047"


def case_template_status_update(items):
    assert items == [
        TemplateStatusChange(
            waba_id=WABA_ID, meta_id="1667192013751005", name="pedido_enviado", language="pt_BR", event="PAUSED"
        )
    ]


def case_app_level_three_numbers(items):
    # Parsed by the channel of the first number: the other numbers' changes are not its own.
    item = _one(items)
    assert item.content == "Oi, primeira loja"


CASES = {name.removeprefix("case_"): func for name, func in globals().items() if name.startswith("case_")}


def test_every_fixture_has_a_case_and_every_case_a_fixture():
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_parses_to_the_expected_items(name):
    adapter = WhatsAppAdapter(make_channel())
    CASES[name](adapter.parse(fixture_bytes(name), {}))


def test_dedupe_keys_name_the_message_or_status():
    assert parsing.dedupe_key(fixture_bytes("status_read")) == f"status:{BUSINESS_WAMID}:read"
    assert parsing.dedupe_key(fixture_bytes("text")).startswith("msg:wamid.")
    key = parsing.dedupe_key(fixture_bytes("app_level_three_numbers"))
    assert key.startswith("ids:") and key == parsing.dedupe_key(fixture_bytes("app_level_three_numbers"))


def test_an_app_level_delivery_is_split_per_phone_number():
    parts = parsing.split_by_number(fixture_bytes("app_level_three_numbers"))
    assert [lookup for lookup, _body in parts] == [
        {"phone_number_id": PHONE_NUMBER_ID},
        {"phone_number_id": "106540352242923"},
        {"phone_number_id": "999999999999999"},
    ]
    # Each part is a complete webhook that parses on its own.
    assert [len(parsing.parse(body, phone_number_id=lookup["phone_number_id"])) for lookup, body in parts] == [1, 1, 1]
    [(lookup, _body)] = parsing.split_by_number(fixture_bytes("template_status_update"))
    assert lookup == {"waba_id": WABA_ID}


def test_unknown_fields_and_odd_shapes_are_ignored_not_errors():
    body = (
        b'{"object":"whatsapp_business_account",'
        b'"entry":[{"id":"1","changes":[{"field":"account_update","value":{}}]},"x"]}'
    )
    assert parsing.parse(body, phone_number_id=PHONE_NUMBER_ID) == []
    assert parsing.dedupe_key(body).startswith("sha256:")
