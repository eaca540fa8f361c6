"""Templates: synced from the WABA (paged), kept current by Meta's status webhook, filled in with
parameters and sent as Meta's exact JSON; conversations started with a template."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app import services
from channels_app.models import Channel
from channels_app.providers.whatsapp import sandbox, templating
from channels_app.providers.whatsapp import services as wa_services
from channels_app.providers.whatsapp.models import MessageTemplate
from channels_app.providers.whatsapp.selectors import templates_for_channel
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_resolve
from conversations.models import Conversation, Message
from core.exceptions import Conflict, PolicyViolation
from tests.channels_app.providers.whatsapp.conftest import (
    CUSTOMER_E164,
    CUSTOMER_WA_ID,
    WABA_ID,
    fixture_bytes,
    post_to_channel,
)
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(wa_channel, graph):
    assert wa_services.template_sync(channel=wa_channel) == 5
    return {t.name: t for t in MessageTemplate.objects.all()}


def test_sync_stores_every_template_of_the_waba_following_meta_s_paging(wa_channel, graph):
    graph.sandbox.templates = lambda waba: [
        {
            "id": str(i),
            "name": f"t{i:03}",
            "language": "pt_BR",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Oi"}],
        }
        for i in range(130)
    ]

    assert wa_services.template_sync(channel=wa_channel) == 130

    calls = [r for r in graph.sandbox.requests if r.path.endswith("/message_templates")]
    assert [r.query.get("after") for r in calls] == [None, "100"]
    assert calls[0].path == f"/v24.0/{WABA_ID}/message_templates"
    assert calls[0].query["fields"] == "name,status,category,language,components,rejected_reason"
    assert MessageTemplate.objects.filter(waba_id=WABA_ID).count() == 130


def test_sync_records_status_category_components_and_marks_vanished_templates_deleted(wa_channel, graph, synced):
    approved = synced["pedido_enviado"]
    assert (approved.language, approved.category, approved.status) == ("pt_BR", "UTILITY", "APPROVED")
    assert approved.components[1]["text"].startswith("Olá {{1}}")
    assert synced["boas_vindas"].parameter_format == "NAMED"
    assert synced["cupom_relampago"].rejected_reason == "PROMOTIONAL"

    # Approved first; paused and rejected stay listed, to be shown as unavailable.
    listed = list(templates_for_channel(wa_channel).values_list("name", "status"))
    assert listed == [
        ("boas_vindas", "APPROVED"),
        ("order_update", "APPROVED"),
        ("pedido_enviado", "APPROVED"),
        ("cupom_relampago", "REJECTED"),
        ("promo_natal", "PAUSED"),
    ]

    graph.sandbox.templates = lambda waba: sandbox.demo_templates(waba)[:2]
    wa_services.template_sync(channel=wa_channel)

    assert set(MessageTemplate.objects.filter(status="DELETED").values_list("name", flat=True)) == {
        "order_update",
        "promo_natal",
        "cupom_relampago",
    }
    assert [t.name for t in templates_for_channel(wa_channel)] == ["boas_vindas", "pedido_enviado"]


def test_the_scheduled_sync_flags_a_channel_whose_token_meta_refuses(wa_channel, graph):
    wa_channel.credentials = {**wa_channel.credentials, "access_token": "expired"}
    wa_channel.save()

    assert wa_services.templates_sync_all() == 0

    assert Channel.objects.get(pk=wa_channel.pk).status == Channel.Status.NEEDS_RECONNECT


def test_meta_s_template_status_webhook_updates_our_copy_at_once(client, wa_channel, graph, synced):
    MessageTemplate.objects.filter(name="pedido_enviado").update(meta_id="1667192013751005")

    post_to_channel(client, wa_channel, fixture_bytes("template_status_update"))
    services.inbound_drain()

    template = MessageTemplate.objects.get(name="pedido_enviado")
    assert template.status == "PAUSED" and not template.is_sendable


# --- sending ------------------------------------------------------------------------------------
@pytest.fixture
def conversation(client, wa_channel, graph) -> Conversation:
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    return Conversation.objects.get()


def test_a_template_with_parameters_is_sent_as_meta_s_exact_json(conversation, graph, synced):
    # Outside the window: only a template may go.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=3))
    conversation.refresh_from_db()
    parameters = {
        "header": {"1": "#4521"},
        "body": ["Maria", "#4521", "2 dias"],
        "buttons": {"0": "4521", "1": "AGENT"},
    }

    message = wa_services.template_message_send(
        conversation=conversation, template=synced["pedido_enviado"], parameters=parameters, sender=None
    )
    services.outbound_drain()

    [request] = graph.sent()
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER_WA_ID,
        "type": "template",
        "template": {
            "name": "pedido_enviado",
            "language": {"code": "pt_BR"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "#4521"}]},
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Maria"},
                        {"type": "text", "text": "#4521"},
                        {"type": "text", "text": "2 dias"},
                    ],
                },
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "4521"}]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [{"type": "payload", "payload": "AGENT"}],
                },
            ],
        },
    }
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.content_type == "template"
    assert message.content == (
        "Pedido #4521\nOlá Maria, seu pedido #4521 saiu para entrega e chega em 2 dias.\nLoja Demo\n"
        "[Rastrear] [Falar com atendente]"
    )


def test_named_parameters_are_sent_with_their_names(conversation, graph, synced):
    wa_services.template_message_send(
        conversation=conversation,
        template=synced["boas_vindas"],
        parameters={"body": {"first_name": "Maria"}},
        sender=None,
    )
    services.outbound_drain()

    assert graph.sent()[0].json["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Maria", "parameter_name": "first_name"}]}
    ]


def test_missing_parameters_are_refused_before_anything_is_queued(conversation, synced):
    with pytest.raises(PolicyViolation) as refused:
        wa_services.template_message_send(
            conversation=conversation, template=synced["pedido_enviado"], parameters={"body": ["Maria"]}, sender=None
        )

    assert "Text {{2}}, Text {{3}}" in refused.value.message
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


@pytest.mark.parametrize("name, status_word", [("promo_natal", "is paused"), ("cupom_relampago", "is rejected")])
def test_paused_and_rejected_templates_are_unavailable(conversation, synced, name, status_word):
    with pytest.raises(PolicyViolation) as refused:
        wa_services.template_message_send(conversation=conversation, template=synced[name], parameters={}, sender=None)

    assert status_word in refused.value.message and "only approved templates" in refused.value.message


def test_a_template_meta_reports_as_paused_at_send_fails_with_the_reason(conversation, graph, synced):
    graph.sandbox.templates = lambda waba: [
        {**t, "status": "PAUSED"} if t["name"] == "order_update" else t for t in sandbox.demo_templates(waba)
    ]

    message = wa_services.template_message_send(
        conversation=conversation, template=synced["order_update"], parameters={"body": ["Maria", "#1"]}, sender=None
    )
    services.outbound_drain()
    message.refresh_from_db()

    assert message.status == Message.Status.FAILED
    assert message.error_reason == "This template is paused by Meta because of low quality."


def test_template_fields_and_preview_for_the_composer(synced):
    template = synced["pedido_enviado"]
    assert [(f.component, f.key, f.kind, f.required, f.example) for f in templating.fields(template.components)] == [
        ("header", "1", "text", True, "#4521"),
        ("body", "1", "text", True, "Maria"),
        ("body", "2", "text", True, "#4521"),
        ("body", "3", "text", True, "2 dias"),
        ("buttons", "0", "url_suffix", True, ""),
        ("buttons", "1", "payload", False, ""),
    ]
    assert templating.preview(template.components, {"body": {"1": "Ana"}}).splitlines()[1] == (
        "Olá Ana, seu pedido {{2}} saiu para entrega e chega em {{3}}."
    )


def test_a_media_header_needs_a_link_and_is_sent_as_one():
    components = [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Sua nota"}]
    with pytest.raises(templating.TemplateProblem):
        templating.send_components(components, {})
    assert templating.send_components(components, {"header": {"link": "https://cdn.example.com/n.jpg"}}) == [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/n.jpg"}}]}
    ]


# --- starting conversations ---------------------------------------------------------------------
def test_an_agent_starts_a_conversation_with_a_new_phone_number(wa_channel, graph, synced, personas):
    with capture_events() as seen:
        message = wa_services.conversation_start(
            channel=wa_channel,
            template=synced["order_update"],
            parameters={"body": ["Bruno", "#77"]},
            sender=personas.agent_a,
            phone="(21) 99876-1234",
        )
    services.outbound_drain()

    conversation = message.conversation
    assert conversation.assignee == personas.agent_a
    assert conversation.contact.phone == "+5521998761234"
    assert graph.sent()[0].json["to"] == "+5521998761234"
    assert [e.name for e in seen] == [
        "contact.created",
        "conversation.created",
        "conversation.assigned",
        "message.created",
    ]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_starting_with_a_contact_known_by_sms_reuses_the_contact(wa_channel, graph, synced):
    sms = contact_resolve(medium="phone", address="+55 11 98765-4321", name="Maria Silva").contact

    message = wa_services.conversation_start(
        channel=wa_channel,
        template=synced["order_update"],
        parameters={"body": ["Maria", "#9"]},
        sender=None,
        contact=sms,
    )

    assert message.conversation.contact == sms
    assert ContactIdentity.objects.get(medium="whatsapp").contact == sms
    assert Contact.objects.count() == 1


def test_starting_reuses_the_open_conversation_and_keeps_the_customer_s_window(
    client, conversation, wa_channel, synced
):
    contact = conversation.contact

    message = wa_services.conversation_start(
        channel=wa_channel,
        template=synced["order_update"],
        parameters={"body": ["Maria", "#9"]},
        sender=None,
        contact=contact,
    )
    assert message.conversation == conversation

    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    message = wa_services.conversation_start(
        channel=wa_channel,
        template=synced["order_update"],
        parameters={"body": ["Maria", "#9"]},
        sender=None,
        contact=contact,
    )
    new = message.conversation
    assert new != conversation
    assert new.last_inbound_at == Conversation.objects.get(pk=conversation.pk).last_inbound_at  # window carried over


def test_a_number_belonging_to_another_contact_is_a_conflict_and_nothing_is_written(wa_channel, synced):
    contact_resolve(medium="whatsapp", address=CUSTOMER_WA_ID, name="Maria")
    other = Contact.objects.create(name="Outra pessoa", phone=CUSTOMER_E164)

    with pytest.raises(Conflict):
        wa_services.conversation_start(
            channel=wa_channel,
            template=synced["order_update"],
            parameters={"body": ["x", "y"]},
            sender=None,
            contact=other,
        )
    assert not Conversation.objects.exists()


def test_an_invalid_phone_number_is_refused(wa_channel, synced):
    with pytest.raises(PolicyViolation):
        wa_services.conversation_start(
            channel=wa_channel,
            template=synced["order_update"],
            parameters={"body": ["x", "y"]},
            sender=None,
            phone="12",
        )
    assert not Contact.objects.exists()
