"""API-CONV: list with filters and cursor pages, start a conversation, update status, assignee
and labels (PUT partial, PATCH alike)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.services import contact_create
from conversations.models import Conversation, Label, Message
from tests.api.conftest import error_of
from tests.factories import conversation_with_customer, receive
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_filters_status_channel_assignee_contact_and_updated_since(api, personas):
    first = conversation_with_customer(personas.channel_a, "c1")  # auto-assigned to Ana (online)
    second = conversation_with_customer(personas.channel_b, "c2")
    third = conversation_with_customer(personas.channel_a, "c3")
    Conversation.objects.filter(pk=third.pk).update(assignee=None, status="resolved")
    Conversation.objects.filter(pk__in=[first.pk, second.pk]).update(updated_at=timezone.now() - timedelta(days=2))
    admin = api.as_user(personas.admin)

    assert _ids(admin.get("/conversations", {"status": "resolved"})) == [str(third.uuid)]
    assert set(_ids(admin.get("/conversations", {"channel": str(personas.channel_a.uuid)}))) == {
        str(first.uuid),
        str(third.uuid),
    }
    assert len(_ids(admin.get("/conversations", {"channel": "api"}))) == 3  # by medium
    assert _ids(admin.get("/conversations", {"assignee": str(personas.agent_b.uuid)})) == [str(second.uuid)]
    assert _ids(admin.get("/conversations", {"assignee": "none"})) == [str(third.uuid)]
    assert _ids(api.as_user(personas.agent_a).get("/conversations", {"assignee": "me"})) == [str(first.uuid)]
    assert _ids(admin.get("/conversations", {"contact": str(second.contact.uuid)})) == [str(second.uuid)]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _ids(admin.get("/conversations", {"updated_since": since})) == [str(third.uuid)]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"assignee": "nobody"},
        {"updated_since": "yesterday"},
        {"cursor": "%%%"},
        {"limit": 0},
        {"limit": 101},
        {"channel": "pigeon"},
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api, personas, params):
    response = api.as_user(personas.admin).get("/conversations", params)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def test_cursor_pages_cover_everything_once_newest_first(api, personas):
    made = [conversation_with_customer(personas.channel_a, f"k{n}") for n in range(7)]
    admin = api.as_user(personas.admin)
    seen, params = [], {"limit": 3}
    while True:
        page = admin.get("/conversations", params).json()
        seen += [item["id"] for item in page["results"]]
        if not page["next_cursor"]:
            break
        assert page["next"].startswith("http://testserver/api/v1/conversations?")
        params = {"limit": 3, "cursor": page["next_cursor"]}

    assert seen == [str(c.uuid) for c in reversed(made)]


def test_start_a_conversation_with_a_first_message(api, personas):
    contact = contact_create(name="Lia", addresses=[("api", f"{personas.channel_a.uuid}:lia")])
    with capture_events() as seen:
        response = api.as_user(personas.agent_a).post(
            "/conversations",
            {
                "channel_id": str(personas.channel_a.uuid),
                "contact_id": str(contact.uuid),
                "assignee_id": str(personas.agent_a.uuid),
                "message": {"content": "Olá Lia!"},
            },
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["contact"]["id"], body["assignee"]["id"], body["status"]) == (
        str(contact.uuid),
        str(personas.agent_a.uuid),
        "open",
    )
    message = Message.objects.get(conversation__uuid=body["id"], content="Olá Lia!")
    assert message.status == Message.Status.QUEUED
    names = [e.name for e in seen]
    assert names[0] == "conversation.created" and "conversation.assigned" in names and "message.created" in names


def test_a_contact_without_an_address_on_the_channel_is_a_422_and_nothing_is_created(api, personas):
    contact = contact_create(name="Sem canal", email="sem@example.com")

    response = api.as_user(personas.admin).post(
        "/conversations", {"channel_id": str(personas.channel_a.uuid), "contact_id": str(contact.uuid)}
    )

    assert response.status_code == 422
    assert not Conversation.objects.exists()


def test_update_status_assignee_and_labels_in_one_partial_put(api, personas):
    Label.objects.create(name="vip")
    Label.objects.create(name="billing")
    conversation = conversation_with_customer(personas.channel_a)
    with capture_events() as seen:
        response = api.as_user(personas.agent_a).put(
            f"/conversations/{conversation.uuid}",
            {"status": "pending", "assignee_id": None, "labels": ["vip", "billing"]},
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"], body["labels"]) == ("pending", None, ["billing", "vip"])
    assert [e.name for e in seen] == ["conversation.assigned", "conversation.status_changed", "conversation.updated"]
    conversation.refresh_from_db()
    assert conversation.updated_at > conversation.created_at


def test_patch_works_like_put(api, personas):
    conversation = conversation_with_customer(personas.channel_a)

    response = api.as_user(personas.agent_a).patch(f"/conversations/{conversation.uuid}", {"status": "resolved"})

    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None


def test_unknown_labels_and_strange_assignees_are_400s(api, personas):
    conversation = conversation_with_customer(personas.channel_a)
    admin = api.as_user(personas.admin)

    labels = admin.put(f"/conversations/{conversation.uuid}", {"labels": ["nope"]})
    assignee = admin.put(f"/conversations/{conversation.uuid}", {"assignee_id": str(personas.agent_b.uuid)})

    assert labels.status_code == 400 and "nope" in error_of(labels)["fields"]["labels"][0]
    assert assignee.status_code == 400 and "assignee_id" in error_of(assignee)["fields"]


def test_a_label_named_in_another_case_is_a_400_and_creates_no_label(api, personas):
    Label.objects.create(name="vip")
    conversation = conversation_with_customer(personas.channel_a)

    response = api.as_user(personas.admin).put(f"/conversations/{conversation.uuid}", {"labels": ["VIP"]})

    assert response.status_code == 400 and "VIP" in error_of(response)["fields"]["labels"][0]
    assert list(Label.objects.values_list("name", flat=True)) == ["vip"]
    assert not conversation.labels.exists()


def test_snoozing_needs_a_time_in_the_future(api, personas):
    conversation = conversation_with_customer(personas.channel_a)
    admin = api.as_user(personas.admin)

    refused = admin.put(f"/conversations/{conversation.uuid}", {"status": "snoozed"})
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    snoozed = admin.put(f"/conversations/{conversation.uuid}", {"status": "snoozed", "snoozed_until": until})

    assert refused.status_code == 422 and error_of(refused)["code"] == "policy_violation"
    assert snoozed.status_code == 200 and snoozed.json()["snoozed_until"] is not None
    for far, reason in (("9999-12-31T23:59:00-03:00", "out of range"), ("2200-01-01T00:00:00Z", "10 years")):
        too_far = admin.put(f"/conversations/{conversation.uuid}", {"status": "snoozed", "snoozed_until": far})
        assert too_far.status_code == 400 and reason in error_of(too_far)["fields"]["snoozed_until"][0]


def test_a_new_customer_message_shows_up_through_updated_since(api, personas):
    conversation = conversation_with_customer(personas.channel_a)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    admin = api.as_user(personas.admin)
    assert _ids(admin.get("/conversations", {"updated_since": since})) == []

    receive(personas.channel_a, sender_id="cust-1", text="de novo")

    assert _ids(admin.get("/conversations", {"updated_since": since})) == [str(conversation.uuid)]
