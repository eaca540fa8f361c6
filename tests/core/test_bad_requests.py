"""A NUL character in a query parameter is refused with a clear 400, never a database 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/search/?q=%00", "/inbox/?view=all&status=open%00", "/contacts/?q=a%00b"])
def test_console_pages_refuse_a_nul_character(client, personas, url):
    client.force_login(personas.admin)

    response = client.get(url)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "view=all&team=abc",
        "view=all&channel=abc",
        "view=all&before_at=2024-99-99T00:00&before_id=5",
        "view=all&channel=00000000-0000-0000-0000-000000000000",
    ],
)
def test_odd_inbox_addresses_show_a_list_not_a_server_error(client, personas, query):
    from tests.factories import conversation_with_customer

    conversation = conversation_with_customer(personas.channel_a)
    client.force_login(personas.admin)

    for url in (f"/inbox/?{query}", f"/inbox/list/?{query}", f"/conversations/{conversation.uuid}/?{query}"):
        assert client.get(url).status_code in (200, 404), url
    assert client.get(f"/conversations/{conversation.uuid}/row/?{query}").status_code == 200


def test_earlier_messages_before_something_that_is_not_a_message_id(client, personas):
    from tests.factories import conversation_with_customer

    conversation = conversation_with_customer(personas.channel_a)
    client.force_login(personas.admin)

    assert client.get(f"/conversations/{conversation.uuid}/earlier/?before=abc").status_code == 200


def test_snoozing_centuries_ahead_is_refused_with_a_reason(client, personas):
    from tests.factories import conversation_with_customer

    conversation = conversation_with_customer(personas.channel_a)
    client.force_login(personas.admin)

    response = client.post(
        f"/conversations/{conversation.uuid}/status/",
        {"status": "snoozed", "snoozed_until": "9999-12-31T23:59"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert "within the next 10 years" in response.content.decode()


def test_the_contact_list_ignores_an_impossible_page_position(client, personas):
    client.force_login(personas.admin)

    assert client.get("/contacts/?before_at=2024-99-99T00:00&before_id=5").status_code == 200
