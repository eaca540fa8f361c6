"""Automatic assignment (FLOW-ASSIGN): who gets a new conversation.

Candidates are the active, online members of the channel's inbox (within the channel's team, if
it names one) whose open conversations are below their capacity. A returning contact goes back
to their last agent when that agent is a candidate (sticky); otherwise round robin or least
loaded, as the channel says.

Concurrency: the candidates' user rows are locked (in id order, so two assignments never
deadlock) before loads are counted, so concurrent assignments see each other's results and no
agent goes over capacity, whichever inbox the conversations arrive in. On SQLite the IMMEDIATE
transaction already serialises writers.
"""

from django.db.models import Count

from accounts.models import User
from channels_app.models import Channel
from conversations.models import Conversation


def conversation_auto_assign(*, conversation: Conversation, returning_contact: bool = True) -> User | None:
    """Assign a conversation by its channel's rules. Must run inside a transaction.
    `returning_contact=False` (a contact created just now) skips looking for a previous agent."""
    from conversations.services import conversation_assign

    channel = conversation.channel
    if channel.assignment_strategy == Channel.Assignment.MANUAL:
        return None
    candidates = _lock_candidates(channel)
    if not candidates:
        return None
    loads = {}
    if channel.assignment_strategy == Channel.Assignment.LEAST_LOADED or any(
        u.max_open_conversations for u in candidates
    ):
        # Counting open conversations is the costly part: only when a capacity or the strategy needs it.
        loads = dict(
            Conversation.objects.filter(assignee__in=candidates, status=Conversation.Status.OPEN)
            .exclude(pk=conversation.pk)
            .values_list("assignee")
            .annotate(n=Count("id"))
        )
    available = [u for u in candidates if not u.max_open_conversations or loads.get(u.pk, 0) < u.max_open_conversations]
    if not available:
        return None
    chosen = _sticky_choice(conversation, available) if channel.sticky_assignment and returning_contact else None
    if chosen is None:
        if channel.assignment_strategy == Channel.Assignment.LEAST_LOADED:
            chosen = min(available, key=lambda u: (loads.get(u.pk, 0), u.pk))
        else:
            chosen = _round_robin_choice(channel, available)
    conversation_assign(conversation=conversation, assignee=chosen, by=None)
    return chosen


def _lock_candidates(channel: Channel) -> list[User]:
    users = User.objects.filter(
        inbox_memberships__channel=channel, is_active=True, availability=User.Availability.ONLINE
    )
    if channel.assignment_team_id:
        users = users.filter(teams=channel.assignment_team_id)
    fields = ("pk", "uuid", "max_open_conversations", "first_name", "last_name", "username")
    return list(users.order_by("pk").only(*fields).select_for_update(of=("self",)))


def _sticky_choice(conversation: Conversation, available: list[User]) -> User | None:
    last = (
        Conversation.objects.filter(contact_id=conversation.contact_id, assignee__isnull=False)
        .exclude(pk=conversation.pk)
        .order_by("-last_activity_at")
        .values_list("assignee_id", flat=True)
        .first()
    )
    return next((u for u in available if u.pk == last), None)


def _round_robin_choice(channel: Channel, available: list[User]) -> User:
    # Read the pointer after the candidate locks: it is fresh, and no one else moves it now.
    last = Channel.objects.filter(pk=channel.pk).values_list("round_robin_last_user_id", flat=True).first() or 0
    chosen = next((u for u in available if u.pk > last), available[0])
    Channel.objects.filter(pk=channel.pk).update(round_robin_last_user=chosen)
    return chosen
