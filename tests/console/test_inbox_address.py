"""The inbox's view and filters live in the page's address: a change of filter answers with the
address to push (the inbox, or the conversation open beside the list), and "Mark unread" goes
back to the list with the filters it came from."""

import pytest

from conversations.models import Conversation
from tests.factories import conversation_with_customer

pytestmark = pytest.mark.django_db
FILTERS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "inbox-filters", "HTTP_HX_TARGET": "conversation-list"}


@pytest.fixture
def agent(client, personas):
    client.force_login(personas.agent_a)
    return personas.agent_a


def test_changing_the_filters_pushes_the_inbox_address_with_the_filters(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED)

    response = client.get(
        "/inbox/list/?view=all&status=resolved&channel=&team=&label=",
        HTTP_HX_CURRENT_URL="http://testserver/inbox/",
        **FILTERS,
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/inbox/?view=all&status=resolved"
    assert f'id="row-{conversation.uuid}"' in response.content.decode()
    # What the pushed address renders on a reload: the same list, the same controls chosen.
    page = client.get(response["HX-Push-Url"]).content.decode()
    assert f'id="row-{conversation.uuid}"' in page
    assert '<input type="radio" name="view" value="all" checked>' in page
    assert '<option value="resolved" selected>' in page


def test_with_a_conversation_open_the_pushed_address_keeps_it_open(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.get(
        f"/inbox/list/?view=unassigned&status=any&channel={personas.channel_a.uuid}",
        HTTP_HX_CURRENT_URL=f"http://testserver/conversations/{conversation.uuid}/?view=mine",
        **FILTERS,
    )

    assert response["HX-Push-Url"] == (
        f"/conversations/{conversation.uuid}/?view=unassigned&status=any&channel={personas.channel_a.uuid}"
    )


@pytest.mark.parametrize("current", [None, "http://testserver/contacts/", "not a url"])
def test_from_anywhere_else_the_pushed_address_is_the_inbox(client, personas, agent, current):
    headers = {**FILTERS, **({"HTTP_HX_CURRENT_URL": current} if current else {})}

    response = client.get("/inbox/list/?view=all&status=open", **headers)

    assert response["HX-Push-Url"] == "/inbox/?view=all&status=open"


def test_load_more_and_the_refresh_after_a_reconnect_leave_the_address_alone(client, personas, agent):
    conversation_with_customer(personas.channel_a)

    resync = client.get("/inbox/list/?view=all", HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="conversation-list")
    more = client.get(
        "/inbox/list/?view=all&before_at=2030-01-01T00:00:00%2B00:00&before_id=999999", HTTP_HX_REQUEST="true"
    )

    assert "HX-Push-Url" not in resync and "HX-Push-Url" not in more


def test_a_conversation_opened_from_a_filtered_list_links_back_to_that_list(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    pane = client.get(
        f"/conversations/{conversation.uuid}/?view=all&status=any",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="conversation-pane",
    ).content.decode()

    assert 'class="back" href="/inbox/?view=all&amp;status=any"' in pane


def test_mark_unread_goes_back_to_the_list_with_its_filters(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.post(
        f"/conversations/{conversation.uuid}/unread/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/conversations/{conversation.uuid}/?view=unassigned&status=pending",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/inbox/?view=unassigned&status=pending"
