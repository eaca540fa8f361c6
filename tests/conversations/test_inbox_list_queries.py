"""The inbox list costs the same number of queries for 3 or 60 conversations."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.selectors import InboxView, conversation_list
from tests.factories import receive


def _render(rows):
    # Touch everything a row shows: contact, channel, assignee, team.
    return [(r.contact.display_name, r.channel.name, r.assignee and r.assignee.display_name, r.team) for r in rows]


def _queries(user, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _render(conversation_list(user=user, **kwargs))
    return len(ctx)


@pytest.mark.django_db
@pytest.mark.parametrize("view", [InboxView.ALL, InboxView.MINE, InboxView.UNASSIGNED])
def test_inbox_list_query_count_does_not_grow(personas, view):
    for i in range(3):
        receive(personas.channel_a, sender_id=f"small-{i}")
    small_admin, small_agent = _queries(personas.admin, view=view), _queries(personas.agent_a, view=view)

    for i in range(57):
        receive(personas.channel_a, sender_id=f"big-{i}")
    big_admin, big_agent = _queries(personas.admin, view=view), _queries(personas.agent_a, view=view)

    assert small_admin == big_admin
    assert small_agent == big_agent


@pytest.mark.django_db
def test_keyset_pages_cover_everything_once(personas):
    made = {receive(personas.channel_a, sender_id=f"k-{i}").conversation.pk for i in range(12)}
    seen, before = [], None
    while True:
        page = conversation_list(user=personas.admin, before=before, limit=5)
        if not page:
            break
        seen += [c.pk for c in page]
        before = (page[-1].last_activity_at, page[-1].pk)
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


@pytest.mark.django_db
def test_an_agent_lists_only_their_inboxes(personas):
    receive(personas.channel_a, sender_id="a")
    receive(personas.channel_b, sender_id="b")

    assert {c.channel for c in conversation_list(user=personas.agent_a)} == {personas.channel_a}
    assert {c.channel for c in conversation_list(user=personas.admin)} == {personas.channel_a, personas.channel_b}
    assert conversation_list(user=personas.outsider) == []
