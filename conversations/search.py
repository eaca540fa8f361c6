"""Full-text search over messages and contacts, within what the user may see.

PostgreSQL: `to_tsvector('simple_unaccent', ...)` (accents folded, core.search) with GIN indexes
(migration 0004) and websearch syntax ("quoted phrases", -exclusions). SQLite (the zero-setup
run): substring match, accents and case aside. Contacts are matched by contacts.search.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Value

from accounts.models import User
from contacts.search import contacts_matching
from conversations.selectors import contacts_for_user, messages_for_user
from core.search import SEARCH_CONFIG, Fold

MAX_RESULTS = 50


def message_document():
    """`to_tsvector('simple_unaccent', coalesce(content, ''))`: exactly the expression of the GIN
    index `message_content_fts` (migration 0004), so that PostgreSQL can use it."""
    return SearchVector("content", config=SEARCH_CONFIG)


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
        vector = message_document()
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        messages = (
            messages.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0).order_by("-rank", "-created_at")
        )
        # Filtering on the same expression as the GIN index lets PostgreSQL use it.
        messages = messages.alias(document=vector).filter(document=search)
    else:
        messages = (
            messages.alias(folded=Fold("content")).filter(folded__contains=Fold(Value(query))).order_by("-created_at")
        )
    return list(messages[:limit])


def search_contacts(*, user: User, query: str, limit: int = MAX_RESULTS):
    query = query.strip()
    if not query:
        return []
    return list(contacts_matching(contacts_for_user(user), query).order_by("name")[:limit])
