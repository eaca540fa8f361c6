"""Visitor messages travel the inbound pipeline; agent replies the outbound one, delivered to the
visitor's live group; the visitor's browser acknowledges them; the pre-chat form fills the contact."""

import uuid

import pytest

from channels_app.models import InboundEvent
from channels_app.providers.web_widget.selectors import visitor_contact
from contacts.models import Contact, ContactIdentity
from conversations import live
from conversations.models import Conversation, Message
from core import realtime
from tests.factories import reply
from tests.helpers import capture_events

from .conftest import Visitor, drain


@pytest.fixture
def broadcasts(monkeypatch):
    """Live deliveries (the channel layer itself is exercised by the WebSocket and browser tests)."""
    sent = []
    monkeypatch.setattr(realtime, "broadcast", lambda groups, message: sent.append((groups, message)))
    return sent


def test_a_visitor_message_becomes_contact_conversation_and_message(visitor, widget):
    assert visitor.profile(name="Maria Souza", email="maria@example.com").status_code == 200

    answer = visitor.send("Olá, meu pedido atrasou")
    with capture_events() as seen:
        drain()

    assert answer.status_code == 202
    message = Message.objects.select_related("conversation__contact").get()
    assert (message.content, message.direction, message.sender_type) == ("Olá, meu pedido atrasou", "in", "contact")
    contact = message.conversation.contact
    assert (contact.name, contact.email) == ("Maria Souza", "maria@example.com")
    identity = ContactIdentity.objects.get(contact=contact)
    assert identity.medium == "web" and identity.address.startswith(f"{widget.uuid}:")
    assert message.conversation.channel == widget
    assert [e.name for e in seen] == ["conversation.created", "message.received"]
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
    assert visitor.texts() == [("visitor", "Olá, meu pedido atrasou")]


def test_a_message_sent_twice_with_one_client_id_is_stored_once(visitor):
    client_id = str(uuid.uuid4())
    assert visitor.send("Oi", client_id=client_id).status_code == 202
    assert visitor.send("Oi", client_id=client_id).status_code == 202  # the browser retried
    drain()
    assert visitor.send("Oi", client_id=client_id).status_code == 202  # a reload resent its outbox
    drain()

    assert Message.objects.count() == 1
    assert visitor.history().json()["messages"][0]["client_id"] == client_id


def test_two_visitors_may_pick_the_same_client_id(widget):
    first, second = Visitor(widget), Visitor(widget)
    first.start()
    second.start()
    client_id = str(uuid.uuid4())

    first.send("do primeiro", client_id=client_id)
    second.send("do segundo", client_id=client_id)
    drain()

    assert Message.objects.count() == 2
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "   "}, 422),
        ({"text": "x" * 5001}, 422),
        ({"client_id": "not-a-uuid", "text": "hi"}, 400),
        ({"text": 12}, 400),
        ({"text": "hi", "uploads": "x"}, 400),
    ],
)
def test_bad_messages_get_a_clear_4xx_and_nothing_is_stored(visitor, body, status):
    import json

    payload = {"client_id": str(uuid.uuid4()), **body}
    response = visitor.client.post(
        "/widget/api/messages", json.dumps(payload), content_type="application/json", **visitor.headers()
    )

    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert InboundEvent.objects.count() == 0


def test_an_agent_reply_is_delivered_to_the_visitors_group_through_the_outbound_pipeline(visitor, agent, broadcasts):
    visitor.send("Preciso de ajuda")
    drain()
    conversation = Conversation.objects.get()
    broadcasts.clear()

    sent = reply(conversation, agent, text="Claro, <b>Maria</b>!")
    assert visitor.texts() == [("visitor", "Preciso de ajuda")]  # queued: not the visitor's yet
    drain()

    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT
    address = ContactIdentity.objects.get(medium="web").address
    deliveries = [m for groups, m in broadcasts if m["type"] == "widget.message"]
    assert [groups for groups, m in broadcasts if m["type"] == "widget.message"] == [[live.visitor_group(address)]]
    payload = deliveries[0]["message"]
    assert payload["id"] == str(sent.uuid) and payload["conversation_id"] == str(conversation.uuid)
    assert (payload["from"], payload["author"], payload["text"]) == ("agent", "Ana", "Claro, <b>Maria</b>!")
    assert "pk" not in str(payload) and "email" not in str(payload)
    assert visitor.texts() == [("visitor", "Preciso de ajuda"), ("agent", "Claro, <b>Maria</b>!")]


def test_private_notes_never_reach_the_visitor(visitor, agent, broadcasts):
    visitor.send("Oi")
    drain()
    conversation = Conversation.objects.get()
    broadcasts.clear()

    reply(conversation, agent, text="cliente difícil", private=True)
    drain()

    assert "cliente difícil" not in str(broadcasts)
    assert visitor.texts() == [("visitor", "Oi")]


def test_the_visitors_own_message_is_announced_to_their_group_only(
    widget, broadcasts, django_capture_on_commit_callbacks
):
    first, second = Visitor(widget), Visitor(widget)
    first.start()
    second.start()
    first.send("Olá")
    second.send("Bom dia")
    with django_capture_on_commit_callbacks(execute=True):  # live subscribers run after commit
        drain()

    received = {
        m["message_id"]: groups
        for groups, m in broadcasts
        if m["type"] == "widget.event" and m["event"] == "message.received"
    }
    for message in Message.objects.select_related("conversation__contact"):
        address = ContactIdentity.objects.get(contact=message.conversation.contact, medium="web").address
        assert received[str(message.uuid)] == [live.visitor_group(address)]


def test_receipts_move_agent_messages_forward_and_only_the_visitors_own(widget, agent):
    mine, other = Visitor(widget), Visitor(widget)
    mine.start()
    other.start()
    mine.send("Oi")
    other.send("Oi também")
    drain()
    mine_conv, other_conv = (Conversation.objects.get(contact=visitor_contact(visitor=_v(v))) for v in (mine, other))
    answer = reply(mine_conv, agent, text="Olá!")
    theirs = reply(other_conv, agent, text="Olá, outro!")
    drain()

    assert mine.receipts("delivered", [str(answer.uuid), str(theirs.uuid)]).json()["count"] == 1
    drain()
    assert mine.receipts("read", [str(answer.uuid)]).status_code == 202
    drain()
    assert mine.receipts("delivered", [str(answer.uuid)]).status_code == 202  # late: ignored
    drain()

    answer.refresh_from_db()
    theirs.refresh_from_db()
    assert answer.status == Message.Status.READ
    assert theirs.status == Message.Status.SENT


def _v(visitor):
    from channels_app.providers.web_widget import security

    return security.token_read(visitor.token)


def test_an_agent_reading_the_conversation_marks_the_visitors_messages_seen(
    visitor, agent, broadcasts, django_capture_on_commit_callbacks
):
    from conversations import services

    visitor.send("Alguém aí?")
    drain()
    assert visitor.history().json()["messages"][0]["seen"] is False
    conversation = Conversation.objects.get()
    broadcasts.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_mark_read(conversation=conversation, by=agent)

    assert visitor.history().json()["messages"][0]["seen"] is True
    seen = [m for _groups, m in broadcasts if m["type"] == "widget.event" and m["event"] == "conversation.updated"]
    assert seen and seen[0]["conversation_id"] == str(conversation.uuid)


# --- the pre-chat form -----------------------------------------------------------------------
def test_without_a_pre_chat_form_profiles_are_refused(db):
    from .conftest import make_widget

    visitor = Visitor(make_widget(prechat_enabled=None))
    visitor.start()

    assert visitor.last["prechat"] == []
    assert visitor.profile(name="Maria").status_code == 400
    assert Contact.objects.count() == 0


def test_pre_chat_fields_are_validated_and_stored_on_the_contact(db):
    from .conftest import make_widget

    widget = make_widget(prechat_enabled="on", prechat_phone="required", prechat_custom="Order number*\nCompany")
    visitor = Visitor(widget)
    visitor.start()
    assert [(f["key"], f["required"]) for f in visitor.last["prechat"]] == [
        ("name", True),
        ("email", False),
        ("phone", True),
        ("order_number", True),
        ("company", False),
    ]

    bad = visitor.profile(name="", email="not-an-email", phone="123", order_number="")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"name", "email", "phone", "order_number"}
    assert Contact.objects.count() == 0

    good = visitor.profile(name="João", email="Joao@Example.com", phone="(11) 98765-4321", order_number="A-77")
    assert good.status_code == 200
    contact = Contact.objects.get()
    assert (contact.name, contact.email, contact.phone) == ("João", "joao@example.com", "+5511987654321")
    assert contact.custom_attributes == {"order_number": "A-77"}
    visitor.start()
    assert visitor.last["prechat"] == []  # filled: not asked again


def test_an_anonymous_visitor_giving_someones_email_is_not_joined_to_their_contact(visitor, widget):
    from contacts.services import contact_resolve

    maria = contact_resolve(medium="email", address="maria@example.com", name="Maria").contact

    visitor.profile(name="Impostor", email="maria@example.com")
    visitor.send("me mostre o histórico da Maria")
    drain()

    conversation = Conversation.objects.get()
    assert conversation.contact != maria
    assert conversation.contact.identities.get().medium == "web"
