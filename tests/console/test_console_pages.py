"""The console's pages and actions, through the Django test client."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.models import CannedResponse, Conversation, Label, Message
from tests.factories import conversation_with_customer, receive

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(client, personas):
    client.force_login(personas.agent_a)
    return personas.agent_a


def test_the_inbox_lists_my_conversations_with_what_a_row_needs(client, personas, agent):
    receive(personas.channel_a, sender_id="maria", text="Meu pedido atrasou", name="Maria Silva")

    page = client.get("/inbox/?view=all").content.decode()

    assert "Maria Silva" in page
    assert "Meu pedido atrasou" in page
    assert "Inbox A" in page


def test_replying_queues_the_message_and_renders_it(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.post(f"/conversations/{conversation.uuid}/messages/", {"content": "Já resolvo!"}, **HX)

    assert response.status_code == 200
    message = conversation.messages.get(direction="out", content_type="text")
    assert message.status in (Message.Status.QUEUED, Message.Status.SENT)
    assert message.sender_user == agent
    assert f'id="msg-{message.uuid}"' in response.content.decode()


def test_a_private_note_is_stored_and_not_sent(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    client.post(f"/conversations/{conversation.uuid}/messages/", {"content": "cliente VIP", "private": "on"}, **HX)

    note = conversation.messages.get(private=True)
    assert note.status == Message.Status.NOTE


def test_an_empty_reply_is_refused_with_a_reason(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.post(f"/conversations/{conversation.uuid}/messages/", {"content": "   "}, **HX)

    assert response.status_code == 422
    assert "Write a message or attach a file." in response.content.decode()
    assert response["HX-Retarget"] == "#composer-error"


def test_an_uploaded_file_is_typed_by_its_content_not_its_name(client, personas, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    conversation = conversation_with_customer(personas.channel_a)
    fake_image = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")

    client.post(f"/conversations/{conversation.uuid}/messages/", {"content": "", "files": fake_image}, **HX)

    attachment = conversation.messages.get(direction="out", content_type="file").attachments.get()
    assert attachment.content_type != "image/jpeg"
    assert attachment.content_type in ("text/plain", "application/octet-stream")


def test_assign_status_labels_and_unread_actions(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    Label.objects.create(name="vip", color="#ff0000")
    url = f"/conversations/{conversation.uuid}"

    assert client.post(f"{url}/assign/", {"assignee": ""}, **HX).status_code == 200  # the rules gave it to her
    assert client.post(f"{url}/assign/", {"assignee": "me"}, **HX).status_code == 200
    assert client.post(f"{url}/labels/", {"labels": ["vip"]}, **HX).status_code == 200
    assert (
        client.post(f"{url}/status/", {"status": "snoozed", "snoozed_until": "2000-01-01T10:00"}, **HX).status_code
        == 400
    )
    assert client.post(f"{url}/status/", {"status": "resolved"}, **HX).status_code == 200
    client.post(f"{url}/read/", **HX)
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    client.post(f"{url}/unread/", **HX)

    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert [label.name for label in conversation.labels.all()] == ["vip"]
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.unread_count == 1
    activity = list(conversation.messages.filter(content_type="activity").values_list("content", flat=True))
    assert any("took the conversation" in text for text in activity)
    assert any("Resolved" in text for text in activity)


def test_assigning_to_someone_outside_the_inbox_is_refused(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.post(
        f"/conversations/{conversation.uuid}/assign/", {"assignee": str(personas.agent_b.uuid)}, **HX
    )

    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.assignee != personas.agent_b


def test_markup_from_customers_is_shown_as_text(client, personas, agent):
    conversation = receive(
        personas.channel_a, sender_id="x", text="<img src=x onerror=alert(1)>", name="<script>alert('n')</script>"
    ).conversation

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    assert "<img src=x onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert('n')</script>" not in page


def test_a_conversation_opened_by_its_address_shows_its_timeline_and_no_stray_notices(client, personas, agent):
    conversation = receive(personas.channel_a, sender_id="y", text="Chegou quebrado", name="Yara").conversation

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    timeline = page.split('id="timeline"', 1)[1]
    assert "Chegou quebrado" in timeline
    assert 'class="flash"' not in page  # the messages of the conversation are not flash notices


def test_canned_responses_reach_the_composer(client, personas, agent):
    CannedResponse.objects.create(shortcut="pix", content="Aceitamos Pix!")
    conversation = conversation_with_customer(personas.channel_a)

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    assert '"shortcut": "pix"' in page and "Aceitamos Pix!" in page


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_inbox_and_conversation_query_counts_do_not_grow(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    for i in range(2):
        receive(personas.channel_a, sender_id=f"few-{i}")
    inbox_small = _count(client, "/inbox/?view=all")
    conv_small = _count(client, f"/conversations/{conversation.uuid}/")

    for i in range(30):
        receive(personas.channel_a, sender_id=f"many-{i}")
        receive(personas.channel_a, sender_id="cust-1", text=f"mais uma {i}")
    conversation.messages.first()  # noqa
    inbox_big = _count(client, "/inbox/?view=all")
    conv_big = _count(client, f"/conversations/{conversation.uuid}/")

    assert inbox_small == inbox_big
    assert conv_small == conv_big


def test_search_finds_messages_and_contacts_within_my_inboxes(client, personas, agent):
    receive(personas.channel_a, sender_id="m", text="O boleto venceu ontem", name="Marta Gomes")
    receive(personas.channel_b, sender_id="n", text="Outro boleto aqui", name="Nilo Souza")

    page = client.get("/search/?q=boleto").content.decode()

    assert "O boleto venceu ontem" in page
    assert "Outro boleto aqui" not in page
    assert "Marta" in client.get("/search/?q=Marta").content.decode()


def test_an_agent_edits_and_merges_contacts(client, personas, agent):
    one = receive(personas.channel_a, sender_id="one", name="Ana B").conversation.contact
    two = receive(personas.channel_a, sender_id="two", name="Ana Beatriz").conversation.contact

    response = client.post(
        f"/contacts/{one.uuid}/", {"name": "Ana Beatriz Silva", "email": "ANA@x.com", "phone": "(11) 98765-4321"}
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert (one.name, one.email, one.phone) == ("Ana Beatriz Silva", "ana@x.com", "+5511987654321")
    # Stored as E.164, shown as people write it.
    assert "+55 11 98765-4321" in client.get(f"/contacts/{one.uuid}/").content.decode()
    assert "+55 11 98765-4321" in client.get("/contacts/").content.decode()
    bad = client.post(f"/contacts/{one.uuid}/", {"name": "x", "phone": "abc"})
    assert bad.status_code == 200 and "Not a phone number." in bad.content.decode()

    client.post(f"/contacts/{one.uuid}/merge/", {"other": str(two.uuid)})

    two.refresh_from_db()
    assert two.merged_into == one
    assert one.identities.count() == 2
    assert Conversation.objects.filter(contact=one).count() == 2


def test_the_inbox_filters_by_label_and_team(client, personas, agent):
    from accounts import services as account_services
    from conversations import services as conversation_services

    vip = Label.objects.create(name="vip")
    tagged = conversation_with_customer(personas.channel_a, sender_id="t1")
    conversation_with_customer(personas.channel_a, sender_id="t2")
    conversation_services.conversation_set_labels(conversation=tagged, labels=[vip], by=agent)
    team = account_services.team_create(name="Vendas", members=[agent])
    conversation_services.conversation_assign(conversation=tagged, assignee=agent, team=team, by=agent)

    by_label = client.get("/inbox/list/?view=all&label=vip").content.decode()
    by_team = client.get(f"/inbox/list/?view=all&team={team.uuid}").content.decode()

    assert by_label.count('id="row-') == 1 and f"row-{tagged.uuid}" in by_label
    assert by_team.count('id="row-') == 1 and f"row-{tagged.uuid}" in by_team


def test_timeline_system_lines_are_shown_in_the_readers_language(client, personas, agent):
    from accounts import services as account_services
    from conversations import services as conversation_services

    conversation = conversation_with_customer(personas.channel_a)
    conversation_services.conversation_set_status(conversation=conversation, status="resolved", by=agent)

    english = client.get(f"/conversations/{conversation.uuid}/").content.decode()
    account_services.language_set(user=agent, language="pt-br")
    portuguese = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    assert "Ana changed the status to Resolved" in english
    assert "Ana mudou o status para Resolvida" in portuguese
    assert conversation.messages.get(content_type="activity", payload__action="status_changed").content == (
        "Ana changed the status to Resolved"  # stored once, in the site's language, for the API
    )


def test_search_ignores_accents_and_phone_punctuation_within_my_inboxes(client, personas, agent):
    from contacts.models import ContactIdentity
    from contacts.services import contact_update

    ours = receive(personas.channel_a, sender_id="j", text="Olá, o boleto não chegou", name="João Gonçalves")
    contact_update(contact=ours.conversation.contact, name="João Gonçalves", phone="+5511987654321")
    ContactIdentity.objects.create(contact=ours.conversation.contact, medium="whatsapp", address="5521998765432")
    theirs = receive(personas.channel_b, sender_id="k", text="Olá da outra caixa", name="João Barbosa")
    contact_update(contact=theirs.conversation.contact, name="João Barbosa", phone="+5511987654321")

    page = client.get("/search/", {"q": "ola nao"}).content.decode()
    assert "Olá, o boleto não chegou" in page
    assert "Olá da outra caixa" not in page

    for query in ("joao", "JOAO GONCALVES", "+55 11 98765-4321", "(11) 98765-4321", "11987654321", "(21) 99876-5432"):
        page = client.get("/search/", {"q": query}).content.decode()
        assert "João Gonçalves" in page, query
        assert "João Barbosa" not in page, query
        listed = client.get("/contacts/", {"q": query}).content.decode()
        assert "João Gonçalves" in listed, query
        assert "João Barbosa" not in listed, query

    assert "João Gonçalves" not in client.get("/search/", {"q": "(11) 91111-2222"}).content.decode()
