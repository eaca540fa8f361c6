"""Outbound WhatsApp: each kind of message reaches the Graph API (the sandbox, over real HTTP) as
the exact JSON Meta expects; policies refuse before calling Meta; Meta's errors become retries,
failures with readable reasons, or a channel flagged for reconnection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app import services
from channels_app.models import Channel
from channels_app.providers.whatsapp import sandbox
from conversations import services as conversation_services
from conversations.attachments import prepare_file
from conversations.models import Conversation, Message
from core.exceptions import PolicyViolation
from monitoring.models import ApiCall
from tests.channels_app.providers.whatsapp.conftest import (
    ACCESS_TOKEN,
    CUSTOMER_WA_ID,
    PHONE_NUMBER_ID,
    fixture_bytes,
    post_to_channel,
)

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
OGG = b"OggS\x00\x02" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def conversation(client, wa_channel, graph) -> Conversation:
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    return Conversation.objects.get()


def _send(conversation, text="", **draft) -> Message:
    message = conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content=text, **draft), sender=None
    )
    services.outbound_drain()
    message.refresh_from_db()
    return message


def _due_now():
    Message.objects.filter(status=Message.Status.QUEUED).update(next_attempt_at=timezone.now())


ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID}


def test_a_text_reply_reaches_meta_as_the_exact_json_it_expects(conversation, graph):
    message = _send(conversation, "Olá Maria, já verifiquei: chega amanhã.")

    [request] = graph.sent()
    assert request.path == f"/v24.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        **ENVELOPE,
        "type": "text",
        "text": {"body": "Olá Maria, já verifiquei: chega amanhã.", "preview_url": False},
    }
    assert message.status == Message.Status.SENT
    assert message.provider_message_id.startswith("wamid.")
    call = ApiCall.objects.get(operation="send_message")
    assert (call.provider, call.status_code, call.reference) == ("whatsapp", 200, str(message.uuid))
    assert ACCESS_TOKEN not in call.url + call.error


def test_a_link_gets_a_preview_and_a_quoted_message_its_context(conversation, graph):
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)

    _send(conversation, "Rastreie aqui: https://loja.example.com/r/4521", in_reply_to=inbound)

    assert graph.sent()[0].json == {
        **ENVELOPE,
        "context": {"message_id": inbound.provider_message_id},
        "type": "text",
        "text": {"body": "Rastreie aqui: https://loja.example.com/r/4521", "preview_url": True},
    }


def test_reply_buttons_are_sent_as_an_interactive_button_message(conversation, graph):
    payload = {
        "type": "button",
        "header": "Entrega",
        "footer": "Loja Demo",
        "buttons": [{"id": "delivery", "title": "Entrega"}, {"id": "pickup", "title": "Retirada"}],
    }
    message = _send(conversation, "Como prefere receber?", content_type="interactive", payload=payload)

    assert message.status == Message.Status.SENT
    assert graph.sent()[0].json == {
        **ENVELOPE,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Entrega"},
            "body": {"text": "Como prefere receber?"},
            "footer": {"text": "Loja Demo"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "delivery", "title": "Entrega"}},
                    {"type": "reply", "reply": {"id": "pickup", "title": "Retirada"}},
                ]
            },
        },
    }


def test_a_list_is_sent_with_its_sections_and_rows(conversation, graph):
    payload = {
        "type": "list",
        "button": "Ver opções",
        "sections": [
            {
                "title": "Frete",
                "rows": [{"id": "pac", "title": "PAC", "description": "5 a 8 dias"}, {"id": "sedex", "title": "Sedex"}],
            },
            {"title": "Retirar", "rows": [{"id": "loja", "title": "Na loja"}]},
        ],
    }
    _send(conversation, "Escolha a entrega", content_type="interactive", payload=payload)

    assert graph.sent()[0].json["interactive"] == {
        "type": "list",
        "body": {"text": "Escolha a entrega"},
        "action": {
            "button": "Ver opções",
            "sections": [
                {
                    "title": "Frete",
                    "rows": [
                        {"id": "pac", "title": "PAC", "description": "5 a 8 dias"},
                        {"id": "sedex", "title": "Sedex"},
                    ],
                },
                {"title": "Retirar", "rows": [{"id": "loja", "title": "Na loja"}]},
            ],
        },
    }


@pytest.mark.parametrize(
    "payload, reason",
    [
        (
            {"type": "button", "buttons": [{"id": str(i), "title": f"Opção {i}"} for i in range(4)]},
            "1 to 3 reply buttons",
        ),
        ({"type": "button", "buttons": [{"id": "a", "title": "Um título longo demais aqui"}]}, "longer than 20"),
        (
            {
                "type": "list",
                "button": "Ver",
                "sections": [{"title": "S", "rows": [{"id": str(i), "title": "x"} for i in range(11)]}],
            },
            "at most 10 rows",
        ),
    ],
)
def test_interactive_messages_beyond_meta_s_limits_fail_without_calling_meta(conversation, graph, payload, reason):
    message = _send(conversation, "Escolha", content_type="interactive", payload=payload)

    assert message.status == Message.Status.FAILED
    assert reason in message.error_reason
    assert graph.sent() == []


def test_an_image_is_uploaded_through_the_media_endpoint_then_sent_by_id(conversation, graph):
    photo = prepare_file(name="nota.jpg", data=JPEG)

    message = _send(conversation, "Segue a nota", content_type="image", files=(photo,))

    upload = next(r for r in graph.sandbox.requests if r.path.endswith("/media"))
    assert upload.path == f"/v24.0/{PHONE_NUMBER_ID}/media"
    assert upload.form == {"messaging_product": "whatsapp", "type": "image/jpeg"}
    assert upload.files["file"] == ("nota.jpg", JPEG, "image/jpeg")
    [media_id] = graph.sandbox.media.items
    assert graph.sent()[0].json == {**ENVELOPE, "type": "image", "image": {"id": media_id, "caption": "Segue a nota"}}
    assert message.status == Message.Status.SENT


def test_a_document_can_be_sent_by_link_when_the_channel_says_so(conversation, graph, wa_channel):
    wa_channel.settings["media_by_link"] = True
    wa_channel.save()
    pdf = prepare_file(name="boleto.pdf", data=b"%PDF-1.4\n" + b"0" * 100)

    _send(conversation, "", content_type="file", files=(pdf,))

    body = graph.sent()[0].json
    assert body["type"] == "document"
    assert body["document"]["filename"] == "boleto.pdf"
    assert body["document"]["link"].startswith("http://testserver/attachments/")
    assert not any(r.path.endswith("/media") for r in graph.sandbox.requests)


def test_an_audio_with_text_is_refused_with_a_reason_before_uploading(conversation, graph):
    note = prepare_file(name="audio.ogg", data=OGG)

    message = _send(conversation, "ouça", content_type="audio", files=(note,))

    assert message.status == Message.Status.FAILED
    assert "audio" in message.error_reason
    assert graph.sandbox.requests == []


def test_outside_the_24_hour_window_only_templates_are_accepted_before_calling_meta(conversation, graph):
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    conversation.refresh_from_db()

    with pytest.raises(PolicyViolation) as refused:
        conversation_services.message_send(
            conversation=conversation, draft=conversation_services.Draft(content="Oi de novo"), sender=None
        )

    assert refused.value.status_code == 422
    assert refused.value.message == "More than 24 hours since the customer last wrote: send an approved template."
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0
    assert graph.sandbox.requests == []


def test_just_inside_the_window_a_free_form_reply_is_accepted(conversation, graph):
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now() - timedelta(hours=23, minutes=59)
    )
    conversation.refresh_from_db()

    assert _send(conversation, "Ainda dá tempo").status == Message.Status.SENT


# --- errors -------------------------------------------------------------------------------------
def test_a_synchronous_131047_fails_the_message_with_its_reason(conversation, graph):
    graph.sandbox.script.append(sandbox.Scripted(131047, "Re-engagement message", "24 hours passed", http_status=400))

    message = _send(conversation, "Oi")

    assert message.status == Message.Status.FAILED
    assert message.error_reason == "More than 24 hours since the customer last wrote: send an approved template."
    assert message.error_code == "131047"
    services.outbound_drain()
    assert len(graph.sent()) == 1  # never retried


def test_an_invalid_token_fails_the_message_and_flags_the_channel(conversation, graph, wa_channel):
    graph.sandbox.script.append(sandbox.Scripted(190, "Invalid OAuth access token", http_status=401))

    message = _send(conversation, "Oi")

    assert message.status == Message.Status.FAILED
    assert "access token" in message.error_reason and "reconnect" in message.error_reason
    wa_channel.refresh_from_db()
    assert wa_channel.status == Channel.Status.NEEDS_RECONNECT
    assert "access token" in wa_channel.last_error


def test_a_real_bad_token_is_refused_by_the_sandbox_like_meta(conversation, graph, wa_channel):
    wa_channel.credentials = {**wa_channel.credentials, "access_token": "EAA-revoked"}
    wa_channel.save()

    message = _send(conversation, "Oi")

    assert message.status == Message.Status.FAILED
    assert message.error_code == "190"
    assert Channel.objects.get(pk=wa_channel.pk).status == Channel.Status.NEEDS_RECONNECT


@pytest.mark.parametrize("code, status", [(130429, 400), (131056, 400), (131000, 500), (80007, 400)])
def test_rate_limits_and_meta_errors_are_retried_with_backoff(conversation, graph, code, status):
    graph.sandbox.script.append(sandbox.Scripted(code, "Rate limit hit", http_status=status))

    message = _send(conversation, "Oi")

    assert message.status == Message.Status.QUEUED
    assert message.error_reason.startswith("Will retry:")
    assert message.next_attempt_at > timezone.now()
    _due_now()
    services.outbound_drain()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(graph.sent()) == 2


def test_an_unknown_4xx_is_permanent_with_meta_s_details(conversation, graph):
    graph.sandbox.script.append(
        sandbox.Scripted(131009, "Parameter value is not valid", "to: invalid phone", http_status=400)
    )

    message = _send(conversation, "Oi")

    assert message.status == Message.Status.FAILED
    assert "to: invalid phone" in message.error_reason
