"""Full-text search over messages and contacts, within what the user may see.

PostgreSQL: `to_tsvector('simple', ...)` with GIN indexes (migration 0003) and websearch syntax
("quoted phrases", -exclusions). SQLite (the zero-setup run): case-insensitive substring match.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Coalesce, Concat

from accounts.models import User
from conversations.selectors import contacts_for_user, messages_for_user

MAX_RESULTS = 50


def search_messages(*, user: User, query: str, limit: int = MAX_RESULTS):
    query = query.strip()
    if not query:
        return []
    messages = (
        messages_for_user(user)
        .exclude(content_type="activity")
        .select_related("conversation__contact", "conversation__channel", "sender_user")
    )
    if settings.IS_POSTGRES:
        vector = SearchVector(Coalesce(F("content"), Value("", output_field=TextField())), config="simple")
        search = SearchQuery(query, search_type="websearch", config="simple")
        messages = (
            messages.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0).order_by("-rank", "-created_at")
        )
        # Filtering on the same expression as the GIN index lets PostgreSQL use it.
        messages = messages.alias(document=vector).filter(document=search)
    else:
        messages = messages.filter(content__icontains=query).order_by("-created_at")
    return list(messages[:limit])


def search_contacts(*, user: User, query: str, limit: int = MAX_RESULTS):
    query = query.strip()
    if not query:
        return []
    contacts = contacts_for_user(user)
    if settings.IS_POSTGRES:
        document = Concat(
            Coalesce(F("name"), Value("")),
            Value(" "),
            Coalesce(F("email"), Value("")),
            Value(" "),
            Coalesce(F("phone"), Value("")),
            output_field=TextField(),
        )
        search = SearchQuery(query, search_type="websearch", config="simple")
        by_text = contacts.alias(document=SearchVector(document, config="simple")).filter(document=search)
        # Partial phone numbers and e-mail fragments are not words: match them as substrings too.
        by_substring = contacts.filter(Q(phone__contains=query) | Q(email__icontains=query))
        contacts = (by_text | by_substring).distinct()
    else:
        contacts = contacts.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__contains=query))
    return list(contacts.order_by("name")[:limit])
