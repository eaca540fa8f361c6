"""Raw mail fixtures (tests/fixtures/email/*.eml) → normalised items, one asserted case each."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels_app.adapters import InboundMessage, StatusUpdate
from channels_app.models import Channel
from channels_app.providers.email.adapter import EmailChannelAdapter
from tests.channels_app.providers.email.conftest import FIXTURES, fixture_bytes

CHECKS = {}


def check(name):
    def register(func):
        CHECKS[name] = func
        return func

    return register


def adapter(address="suporte@acme.test") -> EmailChannelAdapter:
    return EmailChannelAdapter(Channel(kind="email", name="Acme", settings={"address": address}))


def parse(name: str):
    return adapter().parse(fixture_bytes(name), {})


@check("reply_quoted_portuguese.eml")
def _reply_pt(items):
    [item] = items
    assert isinstance(item, InboundMessage)
    assert item.sender.address == "Maria.Silva@Example.com.br"
    assert item.sender.name == "Maria Conceição Silva"  # RFC 2047 decoded
    assert item.subject == "Re: Pedido nº 1234 não chegou"
    assert item.content == "Olá, ainda não recebi. Podem verificar com a transportadora?\n\nObrigada,\nMaria"
    assert item.payload["quote_stripped"] is True
    assert "Em ter., 3 de nov. de 2026" in item.payload["text"]  # the full original is kept
    assert "> Oi Maria" in item.payload["text"]
    assert item.provider_message_id == "CAF=pt-reply-1@mail.example.com.br"
    assert item.thread_refs == (
        "CAF=pt-original-1@mail.example.com.br",
        "msg_0a1b2c3d4e5f60718293a4b5c6d7e8f9.c11112222333344445555666677778888@acme.test",
    )
    assert item.conversation_hint == "11112222-3333-4444-5555-666677778888"  # our token in the reference
    assert item.automated is False
    assert item.timestamp == datetime(2026, 11, 3, 13, 15, tzinfo=UTC)


@check("reply_quoted_english.eml")
def _reply_en(items):
    [item] = items
    assert item.content == "Thanks, that answers it. Please send the corrected invoice to billing@example.org."
    assert item.subject == "RE: Invoice question"
    assert item.thread_refs == ("en-original-7@example.org",)
    assert item.conversation_hint == ""
    assert item.sender.name == "John Carter"


@check("reply_outlook_separator.eml")
def _outlook(items):
    [item] = items
    assert item.content == "Segue o contrato assinado.\n\nAtt,\nPaulo"
    assert "Paulo, pode assinar e devolver?" in item.payload["text"]
    assert item.sender.name == "Souza, Paulo"
    assert item.thread_refs == ()


@check("html_only_inline_image.eml")
def _html_inline(items):
    [item] = items
    html = item.payload["html"]
    assert "<script" not in html and "alert('x')" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert 'src="cid:defeito123@lojabela"' in html  # kept for the console to point at the attachment
    assert 'href="https://lojabela.com.br/pedido/55"' in html
    assert "color: red" not in html  # <style> content dropped
    assert item.content == "Veja a foto do defeito:\n\nAguardo retorno. clique pedido 55"
    [image] = item.attachments
    assert (image.name, image.content_type) == ("defeito.png", "image/png")
    assert image.data.startswith(b"\x89PNG")
    assert item.payload["inline_images"] == {"defeito123@lojabela": "defeito.png"}


@check("iso_8859_1_encoded_subject.eml")
def _latin1(items):
    [item] = items
    assert item.subject == "Promoção de inverno – dúvida"  # =96 is an en dash in Windows-1252
    assert item.sender.name == "José Araújo"
    assert item.content == "Bom dia,\nGostaria de saber se a promoção de inverno ainda está válida.\nAté logo, José"


@check("windows_1252_mislabelled.eml")
def _cp1252(items):
    [item] = items
    # Declared ISO-8859-1 but written by Windows: curly quotes and the dash survive.
    assert item.content == "Quero trocar o produto “Azul” – tamanho M. Obrigada!"


@check("out_of_office_auto_reply.eml")
def _out_of_office(items):
    [item] = items
    assert item.automated is True
    assert item.payload["automated"] == "auto-submitted: auto-replied"
    assert item.subject == "Resposta automática: Re: Seu chamado"
    assert item.conversation_hint == "22223333-4444-5555-6666-777788889999"
    assert item.content == "Estou fora do escritório até 16/11 e responderei ao retornar."


@check("dsn_bounce.eml")
def _bounce(items):
    [item] = items
    assert isinstance(item, StatusUpdate)
    assert item.state == "failed"
    assert item.provider_message_id == (
        "msg_33334444555566667777888899990000.c44445555666677778888999900001111@acme.test"
    )
    assert item.error_code == "5.1.1"
    assert "cliente.inexistente@example.net" in item.error
    assert "User unknown" in item.error


@check("pdf_attachment.eml")
def _pdf(items):
    [item] = items
    assert item.subject == "Orçamento em anexo"  # base64 encoded word
    assert item.content == "Segue o orçamento em PDF."
    [pdf] = item.attachments
    assert pdf.name == "orçamento 2026.pdf"  # RFC 2231 filename*
    assert pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")


@check("long_references_chain.eml")
def _long_references(items):
    [item] = items
    assert len(item.thread_refs) == 30
    assert item.thread_refs[0] == "thread-00@example.com"
    assert item.thread_refs[-1] == "thread-29@example.com"
    assert "thread-30@example.com" not in item.thread_refs  # never its own id


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_fixture_parses_as_expected(name):
    CHECKS[name](parse(name))


# Fixtures asserted elsewhere (name -> the test module that loads it).
USED_ELSEWHERE = {"xoauth2-sasl-example.json": "test_oauth.py"}


def test_every_fixture_has_a_check():
    on_disk = {path.name for path in FIXTURES.iterdir()}
    expected = set(CHECKS) | set(USED_ELSEWHERE)
    assert on_disk == expected, f"unchecked fixtures: {on_disk - expected}; missing: {expected - on_disk}"
    here = Path(__file__).parent
    for name, module in USED_ELSEWHERE.items():
        assert name in (here / module).read_text(), f"{module} does not load {name}"


def test_mail_from_our_own_address_is_ignored():
    raw = fixture_bytes("reply_quoted_english.eml").replace(b"John Carter <john@example.org>", b"<Support@Acme.test>")
    assert adapter("support@acme.test").parse(raw, {}) == []


def test_mail_carrying_our_loop_header_is_ignored():
    raw = b"X-Loop: support@acme.test\r\n" + fixture_bytes("reply_quoted_english.eml")
    assert adapter("support@acme.test").parse(raw, {}) == []


def test_a_bounce_about_mail_we_did_not_send_is_kept_as_an_automated_message():
    raw = fixture_bytes("dsn_bounce.eml").replace(
        b"msg_33334444555566667777888899990000.c44445555666677778888999900001111@acme.test", b"someone-else@acme.test"
    )
    [item] = adapter().parse(raw, {})
    assert isinstance(item, InboundMessage)
    assert item.automated is True
    assert item.payload["delivery_report"][0]["status"] == "5.1.1"
    assert "someone-else@acme.test" in item.thread_refs


def test_dedupe_key_is_the_message_id_or_the_content_hash():
    raw = fixture_bytes("reply_quoted_english.eml")
    assert adapter().dedupe_key(raw, {}) == "mid:en-reply-7@example.org"
    without = raw.replace(b"Message-ID: <en-reply-7@example.org>\r\n", b"")
    assert adapter().dedupe_key(without, {}).startswith("sha256:")
    [item] = adapter().parse(without, {})
    assert item.provider_message_id.startswith("sha256:")


def test_a_malformed_mail_still_parses():
    raw = (
        b"From: =?bogus?Q?x?= <a@b.c>\r\nSubject: =?utf-8?B?broken\r\n"
        b"Content-Type: text/plain; charset=klingon\r\n\r\n\xff\xfe ok"
    )
    [item] = adapter().parse(raw, {})
    assert item.sender.address == "a@b.c"
    assert "ok" in item.content
