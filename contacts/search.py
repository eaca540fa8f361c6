"""Finding contacts by what a person types: the one matcher behind the console search, the
contacts list (and its merge picker) and the API's `q` (accents, case and phone punctuation are
ignored as core.search describes)."""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from contacts.models import Contact, ContactIdentity
from core.search import SEARCH_CONFIG, Fold, phone_digits


def document():
    """The contact's words for full-text search: `to_tsvector('simple_unaccent', coalesce(name, '')
    || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''))`, exactly the expression of the
    GIN index `contact_fts` (conversations migration 0004), so that PostgreSQL can use it."""
    return SearchVector("name", "email", "phone", config=SEARCH_CONFIG)


def contacts_matching(contacts: QuerySet[Contact], query: str) -> QuerySet[Contact]:
    """The `contacts` whose name contains `query` (accents and case aside), whose e-mail or an
    address contains it, whose phone number or an address contains its digits (4 or more), or,
    on PostgreSQL, whose words match it as a web search ("quoted phrases", -exclusions, words in
    any order). One query, no duplicates."""
    query = query.strip()
    if not query:
        return contacts
    match = Q(folded_name__contains=Fold(Value(query))) | Q(email__icontains=query)
    addresses = Q(address__icontains=query)
    digits = phone_digits(query)
    if digits:
        match |= Q(phone__contains=digits)
        addresses |= Q(address__contains=digits)
    match |= Exists(ContactIdentity.objects.filter(addresses, contact=OuterRef("pk")))
    contacts = contacts.alias(folded_name=Fold("name"))
    if settings.IS_POSTGRES:
        match |= Q(document=SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG))
        contacts = contacts.alias(document=document())
    return contacts.filter(match)
