"""Search stays fast on PostgreSQL: the accent-folded full-text queries use the GIN indexes."""

import pytest
from django.db import connection

from contacts.models import Contact
from contacts.search import document
from conversations.models import Message
from conversations.search import message_document, search_messages
from core.search import SEARCH_CONFIG, fold, phone_digits
from tests.factories import receive

pytestmark = pytest.mark.django_db


def test_folding_and_phone_digits():
    assert fold("Olá, JOÃO! Ação, pão") == "ola, joao! acao, pao"
    assert phone_digits("+55 (11) 98765-4321") == "5511987654321"
    assert phone_digits("pedido 123") == ""


def test_unaccented_words_find_accented_messages_and_the_other_way_round(personas):
    receive(personas.channel_a, sender_id="a", text="Olá! A ação já começou")
    receive(personas.channel_a, sender_id="b", text="Ola, acao comecou")

    assert len(search_messages(user=personas.admin, query="ola acao")) == 2
    assert len(search_messages(user=personas.admin, query="AÇÃO")) == 2
    assert [m.content for m in search_messages(user=personas.agent_b, query="ola")] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text indexes")
def test_the_full_text_queries_use_the_gin_indexes(personas):
    from django.contrib.postgres.search import SearchQuery

    words = SearchQuery("joao", search_type="websearch", config=SEARCH_CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        messages = Message.objects.alias(d=message_document()).filter(d=words)
        contacts = Contact.objects.alias(d=document()).filter(d=words)
        assert "message_content_fts" in messages.explain()
        assert "contact_fts" in contacts.explain()
