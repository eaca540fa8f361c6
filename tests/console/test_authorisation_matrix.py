"""SEC-AUTHZ in the console: an agent of inbox A gets 404 for anything of inbox B, in pages,
htmx fragments, actions, attachment URLs and WebSocket groups."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from conversations import attachments, services
from conversations.attachments import StoredFile
from omnichannel.asgi import application
from tests.factories import conversation_with_customer

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def inbox_b(personas):
    conversation = conversation_with_customer(personas.channel_b, sender_id="b-cust")
    message = services.message_send(
        conversation=conversation,
        draft=services.Draft(content="photo", files=(StoredFile("a.png", "image/png", PNG),), private=True),
        sender=personas.agent_b,
    )
    return conversation, message, message.attachments.get()


def _urls(conversation, message):
    c, m = conversation.uuid, message.uuid
    gets = [
        f"/conversations/{c}/",
        f"/conversations/{c}/row/",
        f"/conversations/{c}/header/",
        f"/conversations/{c}/timeline/",
        f"/conversations/{c}/earlier/",
        f"/messages/{m}/",
        f"/contacts/{conversation.contact.uuid}/",
    ]
    posts = [
        (f"/conversations/{c}/messages/", {"content": "hi"}),
        (f"/conversations/{c}/assign/", {"assignee": "me"}),
        (f"/conversations/{c}/status/", {"status": "resolved"}),
        (f"/conversations/{c}/labels/", {}),
        (f"/conversations/{c}/read/", {}),
        (f"/conversations/{c}/unread/", {}),
        (f"/messages/{m}/retry/", {}),
        (f"/contacts/{conversation.contact.uuid}/", {"name": "hacked"}),
        (f"/contacts/{conversation.contact.uuid}/merge/", {"other": str(conversation.contact.uuid)}),
    ]
    return gets, posts


def test_an_agent_gets_404_for_every_page_and_action_of_another_inbox(client, personas, inbox_b):
    conversation, message, _ = inbox_b
    gets, posts = _urls(conversation, message)
    messages_before = conversation.messages.count()
    client.force_login(personas.agent_a)

    for url in gets:
        assert client.get(url).status_code == 404, url
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
        assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 404, url

    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.assignee != personas.agent_a
    assert conversation.messages.count() == messages_before  # nothing added
    assert conversation.contact.name == "b-cust"


def test_the_owner_agent_and_admins_can_open_them(client, personas, inbox_b):
    conversation, message, _ = inbox_b
    gets, _posts = _urls(conversation, message)
    for user in (personas.agent_b, personas.admin):
        client.force_login(user)
        for url in gets:
            assert client.get(url).status_code == 200, (user, url)


def test_attachment_urls_are_personal_and_checked(client, personas, inbox_b):
    _, _, attachment = inbox_b
    url_for_b = attachments.signed_url(attachment, user_id=personas.agent_b.pk)
    url_for_a = attachments.signed_url(attachment, user_id=personas.agent_a.pk)

    client.force_login(personas.agent_a)
    assert client.get(url_for_b).status_code == 404  # someone else's link
    assert client.get(url_for_a).status_code == 404  # a link for A to B's file grants nothing
    client.force_login(personas.agent_b)
    response = client.get(url_for_b)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert client.get(url_for_b[:-5] + "xxxx/").status_code == 404  # tampered


def test_settings_pages_are_not_found_for_agents(client, personas):
    client.force_login(personas.agent_a)
    for url in [
        "/settings/channels/",
        f"/settings/channels/{personas.channel_a.uuid}/",
        "/settings/channels/new/api/",
        "/settings/agents/",
        "/settings/teams/",
        "/settings/canned/",
        "/settings/labels/",
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


def test_anonymous_visitors_are_sent_to_sign_in(client, personas, inbox_b):
    conversation, _, _ = inbox_b
    response = client.get(f"/conversations/{conversation.uuid}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@override_settings(
    CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}, LIVE_RELAY="channel_layer"
)
def test_the_websocket_joins_only_allowed_groups(personas, inbox_b):
    conversation_b, _, _ = inbox_b
    conversation_a = conversation_with_customer(personas.channel_a, sender_id="a-cust")

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/console/", headers=[(b"origin", b"http://testserver")])
        communicator.scope["user"] = personas.agent_a
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"
        await communicator.send_json_to({"type": "subscribe", "conversation_id": str(conversation_b.uuid)})
        assert await communicator.receive_json_from() == {"type": "error", "error": "not_found"}
        await communicator.send_json_to({"type": "subscribe", "conversation_id": str(conversation_a.uuid)})
        assert (await communicator.receive_json_from())["type"] == "subscribed"
        from channels.layers import get_channel_layer

        from conversations import live

        layer = get_channel_layer()
        await layer.group_send(
            live.inbox_group(personas.channel_b.uuid),
            {"type": "console.event", "event": "x", "timestamp": "", "facts": {}},
        )
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_anonymous_websocket_is_closed():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/console/", headers=[(b"origin", b"http://testserver")])
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4401

    async_to_sync(scenario)()
