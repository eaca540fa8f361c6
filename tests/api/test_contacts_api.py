"""API-CONTACT: create with addresses (E.164, lower-case e-mail), search, update, conflicts."""

import pytest
from django.db import connection

from contacts.models import Contact, ContactIdentity
from tests.api.conftest import error_of
from tests.factories import conversation_with_customer
from tests.helpers import capture_events

pytestmark = pytest.mark.django_db


def test_create_normalises_addresses_and_publishes(api, personas):
    with capture_events() as seen:
        response = api.as_user(personas.admin).post(
            "/contacts",
            {
                "name": "Maria Silva",
                "email": "Maria@Example.com",
                "phone": "(11) 98765-4321",
                "custom_attributes": {"crm_id": "C-1"},
                "identities": [{"medium": "whatsapp", "address": "551187654321"}],
            },
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["phone"]) == ("maria@example.com", "+5511987654321")
    assert sorted((i["medium"], i["address"]) for i in body["identities"]) == [
        ("email", "maria@example.com"),
        ("phone", "+5511987654321"),
        ("whatsapp", "+5511987654321"),  # the old eight-digit form is the same person
    ]
    assert [e.name for e in seen] == ["contact.created"]


def test_an_address_of_another_contact_is_a_409_and_nothing_is_created(api, personas):
    admin = api.as_user(personas.admin)
    admin.post("/contacts", {"name": "A", "email": "a@example.com"})

    response = admin.post("/contacts", {"name": "B", "phone": "+5511912345678", "email": "A@example.com"})

    assert response.status_code == 409
    assert "email" in error_of(response)["fields"]
    assert Contact.objects.count() == 1
    assert not ContactIdentity.objects.filter(address="+5511912345678").exists()


def test_invalid_addresses_are_a_400_on_the_field(api, personas):
    response = api.as_user(personas.admin).post("/contacts", {"phone": "12", "email": "nope"})

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"email", "phone"}


def test_search_by_name_email_or_phone(api, personas):
    admin = api.as_user(personas.admin)
    maria = admin.post("/contacts", {"name": "Maria Silva", "phone": "+5511987654321"}).json()["id"]
    joao = admin.post("/contacts", {"name": "João", "email": "joao@firma.com.br"}).json()["id"]

    def found(params):
        return [c["id"] for c in admin.get("/contacts", params).json()["results"]]

    assert found({"q": "silva"}) == [maria]
    assert found({"q": "firma.com"}) == [joao]
    assert found({"q": "98765"}) == [maria]
    assert found({"phone": "(11) 98765-4321"}) == [maria]
    assert found({"email": "JOAO@firma.com.br"}) == [joao]


def test_search_ignores_phone_punctuation_accents_and_case(api, personas):
    admin = api.as_user(personas.admin)
    maria = admin.post("/contacts", {"name": "Maria Silva", "phone": "+5511987654321"}).json()["id"]
    joao = admin.post(
        "/contacts", {"name": "João Gonçalves", "identities": [{"medium": "whatsapp", "address": "5521998765432"}]}
    ).json()["id"]

    def found(params):
        return [c["id"] for c in admin.get("/contacts", params).json()["results"]]

    for spelling in ("+55 11 98765-4321", "(11) 98765-4321", "11 98765 4321", "11987654321", "98765-4321"):
        assert found({"q": spelling}) == [maria], spelling
    assert found({"q": "(21) 99876-5432"}) == [joao]
    assert found({"q": "joao"}) == [joao]
    assert found({"q": "GONCALVES"}) == [joao]
    assert found({"q": "gonçalves joão"}) == ([joao] if connection.vendor == "postgresql" else [])
    assert found({"q": "(31) 91111-2222"}) == []


def test_an_agent_searching_by_phone_or_unaccented_name_sees_only_its_inboxes(api, personas):
    ours = conversation_with_customer(personas.channel_a, "ours").contact
    theirs = conversation_with_customer(personas.channel_b, "theirs").contact
    for contact in (ours, theirs):
        Contact.objects.filter(pk=contact.pk).update(name="Conceição", phone="+5511987654321")
    ana = api.as_user(personas.agent_a)

    for query in ("(11) 98765-4321", "conceicao"):
        assert [c["id"] for c in ana.get("/contacts", {"q": query}).json()["results"]] == [str(ours.uuid)], query


def test_update_is_partial_and_normalises_the_phone(api, personas):
    admin = api.as_user(personas.admin)
    contact = admin.post("/contacts", {"name": "Maria", "email": "m@example.com", "custom_attributes": {"a": 1}}).json()

    response = admin.put(f"/contacts/{contact['id']}", {"phone": "21 99876-5432"})

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["email"], body["phone"]) == ("Maria", "m@example.com", "+5521998765432")
    assert body["custom_attributes"] == {"a": 1}
    assert admin.patch(f"/contacts/{contact['id']}", {"name": "Maria S."}).json()["name"] == "Maria S."
    refused = admin.patch(f"/contacts/{contact['id']}", {"email": "not an address"})
    assert refused.status_code == 400 and list(error_of(refused)["fields"]) == ["email"]


def test_an_agent_sees_contacts_of_its_inbox_and_ones_in_no_conversation(api, personas):
    ours = conversation_with_customer(personas.channel_a, "ours").contact
    conversation_with_customer(personas.channel_b, "theirs")
    ana = api.as_user(personas.agent_a)
    new = ana.post("/contacts", {"name": "Novo"}).json()["id"]

    assert {c["id"] for c in ana.get("/contacts").json()["results"]} == {str(ours.uuid), new}
    assert ana.get(f"/contacts/{new}").status_code == 200
