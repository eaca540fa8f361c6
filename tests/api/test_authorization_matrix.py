"""SEC-AUTHZ through the API: an agent's token reaches only its inboxes. Every object of another
inbox is a 404 (never a 403, which would confirm it exists), for reads and writes alike, and
nothing changes."""

import pytest

from conversations.models import Conversation, Message
from tests.api.conftest import error_of
from tests.factories import receive, reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_b(personas):
    """A conversation of inbox B with a customer message, an agent reply and a private note."""
    inbound = receive(personas.channel_b, sender_id="b-customer", text="Olá B")
    conversation = inbound.conversation
    note = reply(conversation, agent=personas.agent_b, text="nota", private=True)
    return conversation, inbound, note


def _requests(personas, conversation, inbound, note):
    c, m, n, k = conversation.uuid, inbound.uuid, note.uuid, conversation.contact.uuid
    return [
        ("GET", f"/conversations/{c}", None),
        ("PUT", f"/conversations/{c}", {"status": "resolved"}),
        ("PATCH", f"/conversations/{c}", {"assignee_id": str(personas.agent_a.uuid)}),
        ("GET", f"/conversations/{c}/messages", None),
        ("POST", f"/conversations/{c}/messages", {"content": "intrusion"}),
        ("PUT", f"/messages/{m}", {"read": True}),
        ("PATCH", f"/messages/{n}", {"content": "edited by a stranger"}),
        ("GET", f"/contacts/{k}", None),
        ("PUT", f"/contacts/{k}", {"name": "Renamed"}),
        ("GET", f"/channels/{personas.channel_b.uuid}", None),
        ("GET", f"/channels/{personas.channel_b.uuid}/status", None),
        ("POST", "/conversations", {"channel_id": str(personas.channel_b.uuid), "contact_id": str(k)}),
        ("POST", "/conversations", {"channel_id": str(personas.channel_a.uuid), "contact_id": str(k)}),
    ]


def _call(api, method, path, body):
    return api.get(path) if method == "GET" else api.send(method, path, body)


@pytest.mark.parametrize("who", ["agent_a", "outsider"])
def test_another_inbox_is_404_for_every_read_and_write(api, personas, inbox_b, who):
    conversation, inbound, note = inbox_b
    stranger = api.as_user(getattr(personas, who))

    for method, path, body in _requests(personas, conversation, inbound, note):
        response = _call(stranger, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert error_of(response) == {"code": "not_found", "message": "Not found."}

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.assignee_id != personas.agent_a.id
    note.refresh_from_db()
    assert note.content == "nota"
    assert not Message.objects.filter(content="intrusion").exists()
    assert conversation.contact.name == "b-customer"
    assert Conversation.objects.count() == 1


def test_the_owner_of_the_inbox_and_an_admin_reach_the_same_objects(api, personas, inbox_b):
    # (Assigning agent A there is refused for them too, but as a 400: A is not of inbox B.)
    conversation, inbound, note = inbox_b
    for user in (personas.agent_b, personas.admin):
        insider = api.as_user(user)
        requests = _requests(personas, conversation, inbound, note)
        for method, path, body in [requests[0], requests[1], requests[3], requests[5]] + [
            ("GET", f"/contacts/{conversation.contact.uuid}", None),
            ("GET", f"/channels/{personas.channel_b.uuid}/status", None),
        ]:
            assert _call(insider, method, path, body).status_code == 200, (user, path)


def test_lists_hold_only_the_callers_inboxes(api, personas, inbox_b):
    mine = receive(personas.channel_a, sender_id="a-customer").conversation
    ana = api.as_user(personas.agent_a)

    assert [c["id"] for c in ana.get("/conversations").json()["results"]] == [str(mine.uuid)]
    assert [c["id"] for c in ana.get("/contacts").json()["results"]] == [str(mine.contact.uuid)]
    assert [c["id"] for c in ana.get("/channels").json()["results"]] == [str(personas.channel_a.uuid)]
    assert ana.get("/conversations", {"channel": str(personas.channel_b.uuid)}).json()["results"] == []
    admin_ids = {c["id"] for c in api.as_user(personas.admin).get("/conversations").json()["results"]}
    assert admin_ids == {str(mine.uuid), str(inbox_b[0].uuid)}


def test_channel_settings_and_credentials_are_for_admins_only(api, personas):
    agent_view = api.as_user(personas.agent_a).get(f"/channels/{personas.channel_a.uuid}").json()
    admin_view = api.as_user(personas.admin).get(f"/channels/{personas.channel_a.uuid}").json()

    assert agent_view["settings"] is None and agent_view["credentials"] is None
    secret = personas.channel_a.credentials["secret"]
    assert admin_view["credentials"]["secret"] == "••••" + secret[-4:]
    assert secret not in str(admin_view)


def test_agents_cannot_create_or_configure_channels(api, personas):
    ana = api.as_user(personas.agent_a)

    created = ana.post("/channels", {"kind": "api", "name": "X", "settings": {"sandbox": True}})
    configured = ana.patch(f"/channels/{personas.channel_a.uuid}", {"name": "Renamed"})

    assert created.status_code == 403 and error_of(created)["code"] == "permission_denied"
    assert configured.status_code == 403
    personas.channel_a.refresh_from_db()
    assert personas.channel_a.name == "Inbox A"
