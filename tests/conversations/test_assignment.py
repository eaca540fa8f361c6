"""Automatic assignment: round robin, least loaded, capacity under concurrency, sticky."""

import threading

import pytest
from django.db import connection

from accounts import services as account_services
from accounts.models import User
from channels_app.models import Channel
from conversations import services
from conversations.models import Conversation
from tests.conftest import make_api_channel
from tests.factories import receive


def _agents(channel, n=3, capacity=0, availability="online"):
    agents = []
    for i in range(n):
        user = account_services.user_create(
            username=f"agent{i}",
            email=f"agent{i}@example.com",
            password=None,
            availability=availability,
            max_open_conversations=capacity,
        )
        account_services.inbox_member_add(channel=channel, user=user)
        agents.append(user)
    return agents


@pytest.mark.django_db
def test_round_robin_over_three_agents():
    channel = make_api_channel("RR")
    a, b, c = _agents(channel)

    assignees = [receive(channel, sender_id=f"c{i}").conversation.assignee for i in range(6)]

    assert assignees == [a, b, c, a, b, c]


@pytest.mark.django_db
def test_only_online_agents_get_conversations():
    channel = make_api_channel("RR")
    a, b, c = _agents(channel)
    account_services.user_set_availability(user=b, availability=User.Availability.BUSY)
    account_services.user_set_availability(user=c, availability=User.Availability.OFFLINE)

    assignees = {receive(channel, sender_id=f"c{i}").conversation.assignee for i in range(3)}

    assert assignees == {a}


@pytest.mark.django_db
def test_least_loaded_picks_the_agent_with_fewest_open_conversations():
    channel = make_api_channel("LL")
    channel.assignment_strategy = Channel.Assignment.LEAST_LOADED
    channel.save()
    a, b = _agents(channel, n=2)
    for i in range(3):
        services.conversation_assign(
            conversation=receive(channel, sender_id=f"old{i}").conversation, assignee=a, by=None
        )

    new = receive(channel, sender_id="new").conversation

    assert new.assignee == b


@pytest.mark.django_db
def test_a_returning_contact_goes_back_to_their_last_agent():
    channel = make_api_channel("Sticky")
    a, b, c = _agents(channel)
    first = receive(channel, sender_id="maria").conversation  # → a (round robin)
    services.conversation_assign(conversation=first, assignee=b, by=None)  # transferred to b
    services.conversation_set_status(conversation=first, status="resolved", by=None)
    receive(channel, sender_id="joao")  # round robin moves on

    again = receive(channel, sender_id="maria").conversation

    assert again.pk != first.pk
    assert again.assignee == b


@pytest.mark.django_db
def test_sticky_falls_back_to_the_rules_when_the_last_agent_is_away():
    channel = make_api_channel("Sticky")
    a, b = _agents(channel, n=2)
    first = receive(channel, sender_id="maria").conversation
    assert first.assignee == a
    services.conversation_set_status(conversation=first, status="resolved", by=None)
    account_services.user_set_availability(user=a, availability=User.Availability.OFFLINE)

    assert receive(channel, sender_id="maria").conversation.assignee == b


@pytest.mark.django_db
def test_team_channels_assign_within_the_team_and_manual_channels_not_at_all():
    channel = make_api_channel("Team")
    a, b = _agents(channel, n=2)
    team = account_services.team_create(name="Vendas", members=[b])
    channel.assignment_team = team
    channel.save()
    assert receive(channel, sender_id="x").conversation.assignee == b

    channel.assignment_strategy = Channel.Assignment.MANUAL
    channel.save()
    assert receive(channel, sender_id="y").conversation.assignee is None


@pytest.mark.django_db
def test_capacity_is_respected_when_it_is_full():
    channel = make_api_channel("Cap")
    (a,) = _agents(channel, n=1, capacity=2)

    conversations = [receive(channel, sender_id=f"c{i}").conversation for i in range(3)]

    assert [c.assignee for c in conversations] == [a, a, None]


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_new_conversations_never_exceed_capacity():
    channel = make_api_channel("Burst")
    agents = _agents(channel, n=3, capacity=5)  # room for 15
    barrier = threading.Barrier(20)
    errors = []

    def new_customer(i):
        try:
            barrier.wait()
            receive(Channel.objects.get(pk=channel.pk), sender_id=f"burst-{i}")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=new_customer, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Conversation.objects.count() == 20
    loads = {agent.pk: Conversation.objects.filter(assignee=agent, status="open").count() for agent in agents}
    assert all(load <= 5 for load in loads.values()), loads
    assert sum(loads.values()) == 15
    assert Conversation.objects.filter(assignee__isnull=True).count() == 5
