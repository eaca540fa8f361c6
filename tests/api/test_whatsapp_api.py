"""The REST API on WhatsApp channels: setting one up through the WhatsApp setup form, its message
templates (list, sync), sending a template in a conversation and starting conversations with a
template, files one per message; every refusal a clear 4xx before anything is stored. The Graph
API is the product's sandbox over real HTTP."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from channels_app import services
from channels_app.models import Channel
from channels_app.providers.whatsapp import services as wa_services
from channels_app.providers.whatsapp.models import MessageTemplate
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_resolve
from conversations.models import Conversation, Message
from tests.api.conftest import error_of
from tests.channels_app.providers.whatsapp.conftest import CUSTOMER_WA_ID, fixture_bytes, post_to_channel

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
OGG = b"OggS\x00\x02" + b"\x00" * 200
PEDIDO = {
    "name": "pedido_enviado",
    "language": "pt_BR",
    "parameters": {"header": ["#4521"], "body": ["Maria", "#4521", "2 dias"], "buttons": {"0": "4521"}},
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ana(api, personas, wa_channel):
    account_services.inbox_member_add(channel=wa_channel, user=personas.agent_a)
    return api.as_user(personas.agent_a)


@pytest.fixture
def synced(wa_channel, graph):
    wa_services.template_sync(channel=wa_channel)
    return {t.name: t for t in MessageTemplate.objects.all()}


@pytest.fixture
def conversation(client, wa_channel, graph) -> Conversation:
    post_to_channel(client, wa_channel, fixture_bytes("text"))
    services.inbound_drain()
    return Conversation.objects.get()


def _sent():
    """What agents and API clients wrote (the timeline's activity lines left out)."""
    return Message.objects.filter(direction=Message.Direction.OUTBOUND).exclude(content_type="activity")


def _close_window(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))


# --- channels -------------------------------------------------------------------------------------
def test_an_admin_creates_a_whatsapp_number_through_the_setup_form(api, personas):
    response = api.as_user(personas.admin).post(
        "/channels",
        {
            "kind": "whatsapp",
            "name": "Loja Centro",
            "settings": {"phone_number_id": "106540352242922", "waba_id": "102290129340398"},
            "credentials": {"access_token": "EAAJB-secret-token-9876", "app_secret": "8c1f0b9a6d2e4f3a5b7c"},
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    channel = Channel.objects.get(uuid=body["id"])
    assert body["webhook_url"] == f"http://testserver/webhooks/whatsapp/{channel.uuid}/"
    assert (body["kind"], body["channel"], body["settings"]["phone_number_id"]) == (
        "whatsapp",
        "whatsapp",
        "106540352242922",
    )
    # Write-only: stored as given (the verify token generated), answered masked.
    assert channel.credentials["access_token"] == "EAAJB-secret-token-9876"
    verify_token = channel.credentials["verify_token"]
    assert len(verify_token) >= 20
    assert body["credentials"] == {
        "access_token": "••••9876",
        "app_secret": "••••5b7c",
        "verify_token": "••••" + verify_token[-4:],
    }
    assert "EAAJB" not in response.content.decode()


def test_a_sandbox_number_needs_nothing_and_is_labelled(api, personas):
    response = api.as_user(personas.admin).post(
        "/channels", {"kind": "whatsapp", "name": "Teste", "settings": {"sandbox": True}}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Teste (sandbox)"
    assert body["settings"]["sandbox"] is True and body["settings"]["display_phone_number"].startswith("+1555010")
    assert set(body["credentials"]) == {"access_token", "app_secret", "verify_token"}
    assert all(value.startswith("••••") for value in body["credentials"].values())


def test_the_whatsapp_form_s_refusals_come_back_on_their_fields(api, personas, wa_channel):
    admin = api.as_user(personas.admin)

    missing = admin.post("/channels", {"kind": "whatsapp", "name": "Loja", "settings": {"waba_id": "12"}})
    letters = admin.post(
        "/channels",
        {
            "kind": "whatsapp",
            "name": "Loja",
            "settings": {
                "phone_number_id": "+55 11",
                "waba_id": "12",
                "display_phone_number": "12345",
                "meta_app": "6f1c1e8e-0000-4000-8000-000000000000",
            },
            "credentials": {"access_token": "t", "app_secret": "s"},
        },
    )
    taken = admin.post(
        "/channels",
        {
            "kind": "whatsapp",
            "name": "Loja",
            "settings": {"phone_number_id": wa_channel.settings["phone_number_id"], "waba_id": "12"},
            "credentials": {"access_token": "t", "app_secret": "s"},
        },
    )
    switch = admin.patch(f"/channels/{wa_channel.uuid}", {"settings": {"sandbox": True}})

    assert missing.status_code == 400
    assert {"settings.phone_number_id", "credentials.access_token", "credentials.app_secret"} <= set(
        error_of(missing)["fields"]
    )
    assert letters.status_code == 400
    assert {"settings.phone_number_id", "settings.meta_app", "settings.display_phone_number"} <= set(
        error_of(letters)["fields"]
    )
    assert taken.status_code == 400 and "settings.phone_number_id" in error_of(taken)["fields"]
    assert switch.status_code == 400 and "sandbox and real" in error_of(switch)["message"]
    assert Channel.objects.filter(kind="whatsapp").count() == 1


# --- templates ------------------------------------------------------------------------------------
def test_agents_of_the_inbox_list_its_templates_with_the_parameters_each_takes(ana, wa_channel, synced):
    body = ana.get(f"/channels/{wa_channel.uuid}/templates").json()

    assert [(t["name"], t["language"], t["sendable"]) for t in body["results"]] == [
        ("boas_vindas", "pt_BR", True),
        ("cupom_relampago", "pt_BR", False),
        ("order_update", "en_US", True),
        ("pedido_enviado", "pt_BR", True),
        ("promo_natal", "pt_BR", False),
    ]
    pedido = body["results"][3]
    assert pedido["id"] == str(synced["pedido_enviado"].uuid)
    assert [(p["component"], p["key"], p["kind"], p["required"]) for p in pedido["parameters"]] == [
        ("header", "1", "text", True),
        ("body", "1", "text", True),
        ("body", "2", "text", True),
        ("body", "3", "text", True),
        ("buttons", "0", "url_suffix", True),
        ("buttons", "1", "payload", False),
    ]
    assert pedido["parameters"][1]["example"] == "Maria"
    assert pedido["preview"].startswith("Pedido {{1}}\nOlá {{1}}, seu pedido {{2}}")
    assert body["results"][1]["rejected_reason"] == "PROMOTIONAL"
    sendable = ana.get(f"/channels/{wa_channel.uuid}/templates", {"sendable": "true"}).json()["results"]
    assert [t["name"] for t in sendable] == ["boas_vindas", "order_update", "pedido_enviado"]


def test_template_pages_cost_the_same_queries_whatever_their_size(ana, wa_channel, synced):
    path = f"/channels/{wa_channel.uuid}/templates"
    with CaptureQueriesContext(connection) as small:
        assert len(ana.get(path, {"limit": "2"}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(ana.get(path, {"limit": "5"}).json()["results"]) == 5

    assert len(small.captured_queries) == len(large.captured_queries)


def test_templates_of_a_channel_one_may_not_see_or_that_has_none_are_404(api, personas, wa_channel, synced):
    bruno = api.as_user(personas.agent_b)  # works inbox B only

    assert bruno.get(f"/channels/{wa_channel.uuid}/templates").status_code == 404
    assert bruno.post(f"/channels/{wa_channel.uuid}/templates/sync").status_code == 403  # admins only, first
    not_whatsapp = api.as_user(personas.admin).get(f"/channels/{personas.channel_a.uuid}/templates")
    assert not_whatsapp.status_code == 404 and error_of(not_whatsapp)["code"] == "not_found"


def test_an_admin_syncs_the_templates_agents_may_not(api, ana, personas, wa_channel, graph):
    assert ana.post(f"/channels/{wa_channel.uuid}/templates/sync").status_code == 403

    response = api.as_user(personas.admin).post(f"/channels/{wa_channel.uuid}/templates/sync")

    assert response.status_code == 200 and response.json() == {"synced": 5}
    assert MessageTemplate.objects.count() == 5
    assert any(r.path.endswith("/message_templates") for r in graph.sandbox.requests)


def test_a_sync_meta_refuses_is_a_502_with_meta_s_reason(api, personas, wa_channel, graph):
    wa_channel.credentials = {**wa_channel.credentials, "access_token": "EAA-revoked"}
    wa_channel.save()

    response = api.as_user(personas.admin).post(f"/channels/{wa_channel.uuid}/templates/sync")

    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "provider_error" and "access token" in error["message"]


# --- sending a template ---------------------------------------------------------------------------
def test_a_template_is_sent_outside_the_window_as_meta_s_json(ana, conversation, graph, synced):
    _close_window(conversation)
    path = f"/conversations/{conversation.uuid}/messages"
    assert ana.post(path, {"content": "Oi de novo"}).status_code == 422  # free text is not allowed

    response = ana.post(path, {"template": PEDIDO})
    services.outbound_drain()

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "template" and body["status"] == "queued"
    assert body["content"].startswith("Pedido #4521\nOlá Maria, seu pedido #4521 saiu para entrega e chega em 2 dias.")
    assert body["payload"]["template_id"] == str(synced["pedido_enviado"].uuid)
    [sent] = graph.sent()
    assert sent.json["to"] == CUSTOMER_WA_ID
    assert sent.json["template"]["name"] == "pedido_enviado"
    assert sent.json["template"]["language"] == {"code": "pt_BR"}
    assert sent.json["template"]["components"][1] == {
        "type": "body",
        "parameters": [
            {"type": "text", "text": "Maria"},
            {"type": "text", "text": "#4521"},
            {"type": "text", "text": "2 dias"},
        ],
    }
    assert Message.objects.get(uuid=body["id"]).status == Message.Status.SENT


@pytest.mark.parametrize(
    "template, reason",
    [
        ({"name": "nao_existe", "language": "pt_BR"}, "has no template “nao_existe”"),
        ({"name": "pedido_enviado", "language": "en_US", "parameters": PEDIDO["parameters"]}, "has no template"),
        ({"name": "promo_natal", "language": "pt_BR"}, "is paused at Meta"),
        ({"name": "cupom_relampago", "language": "pt_BR"}, "is rejected at Meta"),
        ({**PEDIDO, "parameters": {**PEDIDO["parameters"], "body": ["Maria", "#4521"]}}, "Text {{3}}"),
        ({**PEDIDO, "parameters": {**PEDIDO["parameters"], "body": ["Maria", "#4521", "2 dias", "x"]}}, "not: 4"),
        (
            {
                "name": "order_update",
                "language": "en_US",
                "parameters": {"body": {"1": "a", "2": "b", "first_name": "c"}},
            },
            "not: first_name",
        ),
    ],
)
def test_unknown_unapproved_or_ill_fitting_templates_are_422_and_nothing_is_stored(
    ana, conversation, graph, synced, template, reason
):
    response = ana.post(f"/conversations/{conversation.uuid}/messages", {"template": template})

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["code"] == "policy_violation" and reason in error["message"], error
    assert not _sent().exists()
    assert graph.sent() == []


def test_meta_s_raw_template_json_can_no_longer_skip_the_checks(ana, conversation, graph, synced):
    path = f"/conversations/{conversation.uuid}/messages"
    raw = {"name": "promo_natal", "language": {"code": "pt_BR"}, "components": []}

    as_payload = ana.post(path, {"content_type": "template", "payload": raw})
    mixed = ana.post(path, {"template": PEDIDO, "payload": raw})
    wrong_type = ana.post(path, {"template": PEDIDO, "content_type": "text"})
    multipart = _multipart(ana, path, {"content_type": "template", "content": "x"})

    assert as_payload.status_code == 400 and "template" in error_of(as_payload)["fields"]
    assert mixed.status_code == 400 and "template" in error_of(mixed)["fields"]
    assert wrong_type.status_code == 400 and "content_type" in error_of(wrong_type)["fields"]
    assert multipart.status_code == 400 and "content_type" in error_of(multipart)["fields"]
    assert not _sent().exists()


def test_parameters_of_the_wrong_json_type_are_a_400(ana, conversation, synced):
    response = ana.post(
        f"/conversations/{conversation.uuid}/messages",
        {"template": {**PEDIDO, "parameters": {"body": [1, 2, 3]}}},
    )

    assert response.status_code == 400
    assert "template.parameters.body" in error_of(response)["fields"]


def test_a_template_retried_with_one_idempotency_key_reaches_the_customer_once(ana, conversation, graph, synced):
    path = f"/conversations/{conversation.uuid}/messages"
    key = {"Idempotency-Key": "tpl-4521"}

    first = ana.post(path, {"template": PEDIDO}, headers=key)
    again = ana.post(path, {"template": PEDIDO}, headers=key)
    services.outbound_drain()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert len(graph.sent()) == 1


def test_the_text_of_a_queued_template_cannot_be_edited(ana, conversation, synced):
    message = ana.post(f"/conversations/{conversation.uuid}/messages", {"template": PEDIDO}).json()

    response = ana.put(f"/messages/{message['id']}", {"content": "Outro texto"})

    assert response.status_code == 422
    assert "comes from its template" in error_of(response)["message"]
    assert Message.objects.get(uuid=message["id"]).content == message["content"]


def test_template_content_on_a_channel_without_templates_is_refused(api, personas):
    from tests.factories import conversation_with_customer

    conversation = conversation_with_customer(personas.channel_a)

    response = api.as_user(personas.agent_a).post(f"/conversations/{conversation.uuid}/messages", {"template": PEDIDO})

    assert response.status_code == 422
    assert "cannot send template messages" in error_of(response)["message"]


# --- starting conversations -----------------------------------------------------------------------
def test_a_crm_starts_a_whatsapp_conversation_with_a_new_number(ana, personas, wa_channel, graph, synced):
    response = ana.post(
        "/conversations",
        {
            "channel_id": str(wa_channel.uuid),
            "phone": "(21) 99876-1234",
            "assignee_id": str(personas.agent_a.uuid),
            "message": {
                "template": {"name": "order_update", "language": "en_US", "parameters": {"body": ["Bruno", "#77"]}}
            },
        },
    )
    services.outbound_drain()

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact"]["phone"] == "+5521998761234"
    assert body["assignee"]["id"] == str(personas.agent_a.uuid)
    assert ContactIdentity.objects.get(medium="whatsapp").address == "+5521998761234"
    [sent] = graph.sent()
    assert sent.json["to"] == "+5521998761234" and sent.json["type"] == "template"
    message = _sent().get(conversation__uuid=body["id"])
    assert message.content == "Hi Bruno, your order #77 has shipped." and message.status == Message.Status.SENT


def test_starting_with_a_contact_known_by_phone_gives_it_a_whatsapp_identity(api, personas, wa_channel, graph, synced):
    sms = contact_resolve(medium="phone", address="+55 11 98765-4321", name="Maria Silva").contact
    order = {"name": "order_update", "language": "en_US", "parameters": {"body": ["Maria", "#9"]}}

    response = api.as_user(personas.admin).post(
        "/conversations",
        {"channel_id": str(wa_channel.uuid), "contact_id": str(sms.uuid), "message": {"template": order}},
    )

    assert response.status_code == 201, response.content
    assert response.json()["contact"]["id"] == str(sms.uuid)
    assert ContactIdentity.objects.get(medium="whatsapp").contact == sms
    assert Contact.objects.count() == 1


def test_starting_again_reuses_the_open_conversation_with_a_200(ana, conversation, wa_channel, synced):
    order = {"name": "order_update", "language": "en_US", "parameters": {"body": ["Maria", "#9"]}}
    body = {
        "channel_id": str(wa_channel.uuid),
        "contact_id": str(conversation.contact.uuid),
        "message": {"template": order},
    }

    response = ana.post("/conversations", body)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(conversation.uuid)
    assert Conversation.objects.count() == 1
    assert conversation.messages.filter(content_type="template").count() == 1


def test_free_text_to_someone_who_never_wrote_is_refused_and_nothing_is_created(ana, wa_channel, graph, synced):
    response = ana.post(
        "/conversations",
        {"channel_id": str(wa_channel.uuid), "phone": "+5521998761234", "message": {"content": "Olá!"}},
    )

    assert response.status_code == 422
    assert "has not written on WhatsApp yet" in error_of(response)["message"]
    assert not Contact.objects.exists() and not Conversation.objects.exists()
    assert graph.sent() == []


def test_bad_starts_are_refused_naming_the_problem(api, ana, personas, wa_channel, synced):
    order = {"template": {"name": "order_update", "language": "en_US", "parameters": {"body": ["a", "b"]}}}

    neither = ana.post("/conversations", {"channel_id": str(wa_channel.uuid), "message": order})
    not_a_number = ana.post("/conversations", {"channel_id": str(wa_channel.uuid), "phone": "12", "message": order})
    no_phones_here = api.as_user(personas.admin).post(
        "/conversations", {"channel_id": str(personas.channel_a.uuid), "phone": "+5521998761234"}
    )

    assert neither.status_code == 400 and "contact_id" in error_of(neither)["fields"]
    assert not_a_number.status_code == 422 and "not a valid phone number" in error_of(not_a_number)["message"]
    assert no_phones_here.status_code == 400 and "phone" in error_of(no_phones_here)["fields"]
    assert not Conversation.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize("own", ["+1 555 078 3881", "+15550783881", "+1 (555) 078-3881"])
def test_writing_to_the_channel_s_own_number_is_refused_on_the_phone_field(ana, wa_channel, graph, synced, own):
    order = {"template": {"name": "order_update", "language": "en_US", "parameters": {"body": ["a", "b"]}}}

    response = ana.post("/conversations", {"channel_id": str(wa_channel.uuid), "phone": own, "message": order})
    services.outbound_drain()

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["message"] == "This is the channel's own number."
    assert error["fields"] == {"phone": ["This is the channel's own number."]}
    assert not Contact.objects.exists() and not Conversation.objects.exists()
    assert graph.sent() == []


def test_a_number_stored_as_meta_writes_it_is_still_recognised_as_the_channel_s_own(ana, wa_channel, graph, synced):
    wa_channel.settings = {**wa_channel.settings, "display_phone_number": "15550783881"}  # saved before checks
    wa_channel.save()
    order = {"template": {"name": "order_update", "language": "en_US", "parameters": {"body": ["a", "b"]}}}

    response = ana.post(
        "/conversations", {"channel_id": str(wa_channel.uuid), "phone": "+15550783881", "message": order}
    )

    assert response.status_code == 422 and "phone" in error_of(response)["fields"]
    assert graph.sent() == []


def test_a_contact_whose_number_is_the_channel_s_own_is_refused_on_the_contact_field(
    api, personas, wa_channel, graph, synced
):
    itself = contact_resolve(medium="phone", address="+1 555 078 3881", name="Our own number").contact
    order = {"template": {"name": "order_update", "language": "en_US", "parameters": {"body": ["a", "b"]}}}

    response = api.as_user(personas.admin).post(
        "/conversations", {"channel_id": str(wa_channel.uuid), "contact_id": str(itself.uuid), "message": order}
    )
    services.outbound_drain()

    assert response.status_code == 422, response.content
    assert error_of(response)["fields"] == {"contact_id": ["This is the channel's own number."]}
    assert not ContactIdentity.objects.filter(medium="whatsapp").exists() and not Conversation.objects.exists()
    assert graph.sent() == []


# --- files ----------------------------------------------------------------------------------------
def _multipart(api, path, data):
    return api.client.post(f"/api/v1{path}", data, headers={"Authorization": f"Bearer {api.token}"})


def test_several_files_go_as_one_message_each_with_the_text_on_the_first(ana, conversation, graph):
    response = _multipart(
        ana,
        f"/conversations/{conversation.uuid}/messages",
        {
            "content": "As fotos do produto",
            "files": [SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"), SimpleUploadedFile("b.png", PNG, "image/png")],
        },
    )
    services.outbound_drain()

    assert response.status_code == 201, response.content
    first, second = _sent().order_by("created_at")
    assert response.json()["id"] == str(first.uuid)
    assert (first.content, [a.name for a in first.attachments.all()]) == ("As fotos do produto", ["a.jpg"])
    assert (second.content, second.content_type, [a.name for a in second.attachments.all()]) == ("", "image", ["b.png"])
    assert [m.status for m in (first, second)] == [Message.Status.SENT, Message.Status.SENT]
    one, two = graph.sent()
    assert one.json["type"] == "image" and one.json["image"]["caption"] == "As fotos do produto"
    assert two.json["type"] == "image" and "caption" not in two.json["image"]
    listed = ana.get(f"/conversations/{conversation.uuid}/messages").json()["results"]
    assert [m["id"] for m in listed][-2:] == [str(first.uuid), str(second.uuid)]


def test_a_file_whatsapp_cannot_carry_is_refused_before_anything_is_stored(ana, conversation, graph):
    response = _multipart(
        ana,
        f"/conversations/{conversation.uuid}/messages",
        {
            "content": "Ouça",
            "files": [SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"), SimpleUploadedFile("n.ogg", OGG, "audio/ogg")],
        },
    )

    # The text rides with the first file (an image), so the audio alone is fine: both go.
    assert response.status_code == 201
    audio_first = _multipart(
        ana,
        f"/conversations/{conversation.uuid}/messages",
        {"content": "Ouça", "files": [SimpleUploadedFile("n.ogg", OGG, "audio/ogg")]},
    )
    assert audio_first.status_code == 422
    assert "cannot put a text on an audio" in error_of(audio_first)["message"]
    assert _sent().count() == 2
