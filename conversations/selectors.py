"""Reads for conversations, and the one authorisation selector (SEC-AUTHZ).

Every interface (console pages and fragments, the API, WebSocket consumers, attachment URLs)
asks these functions what a user may see. Admins see everything; agents see the channels whose
inbox they belong to, the conversations of those channels and the contacts of those
conversations. Anything else is "not found", never "forbidden".
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import InboxMembership, User
from channels_app.models import Channel
from contacts.models import Contact
from conversations.models import Conversation, Message


def channels_for_user(user: User) -> QuerySet[Channel]:
    if not user.is_authenticated or not user.is_active:
        return Channel.objects.none()
    if user.is_admin:
        return Channel.objects.all()
    return Channel.objects.filter(memberships__user=user)


def channel_ids_for_user(user: User) -> list[int] | None:
    """The channel ids an agent may see, or None for "all" (admins)."""
    if user.is_authenticated and user.is_active and user.is_admin:
        return None
    if not user.is_authenticated or not user.is_active:
        return []
    return list(InboxMembership.objects.filter(user=user).values_list("channel_id", flat=True))


def conversations_for_user(user: User) -> QuerySet[Conversation]:
    ids = channel_ids_for_user(user)
    if ids is None:
        return Conversation.objects.all()
    return Conversation.objects.filter(channel_id__in=ids)


def contacts_for_user(user: User) -> QuerySet[Contact]:
    """Admins: every contact. Agents: the contacts of their inboxes' conversations, plus contacts
    that have no conversation at all yet (created by hand or through the API, in no inbox), so an
    agent can create a contact and then start a conversation with it."""
    ids = channel_ids_for_user(user)
    if ids is None:
        return Contact.objects.filter(merged_into__isnull=True)
    visible = Conversation.objects.filter(contact=OuterRef("pk"), channel_id__in=ids)
    anywhere = Conversation.objects.filter(contact=OuterRef("pk"))
    return Contact.objects.filter(Exists(visible) | ~Exists(anywhere), merged_into__isnull=True)


def messages_for_user(user: User) -> QuerySet[Message]:
    ids = channel_ids_for_user(user)
    if ids is None:
        return Message.objects.all()
    return Message.objects.filter(channel_id__in=ids)


def conversation_get_for_user(*, user: User, uuid) -> Conversation:
    conversation = (
        conversations_for_user(user).select_related("channel", "contact", "assignee", "team").filter(uuid=uuid).first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def channel_get_for_user(*, user: User, uuid) -> Channel:
    channel = channels_for_user(user).filter(uuid=uuid).first()
    if channel is None:
        raise Http404("No such channel.")
    return channel


def contact_get_for_user(*, user: User, uuid) -> Contact:
    contact = contacts_for_user(user).prefetch_related("identities").filter(uuid=uuid).first()
    if contact is None:
        raise Http404("No such contact.")
    return contact


def message_get_for_user(*, user: User, uuid) -> Message:
    message = (
        messages_for_user(user)
        .select_related("conversation__channel", "conversation__contact", "channel", "sender_user", "in_reply_to")
        .prefetch_related("attachments")
        .filter(uuid=uuid)
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


def can_see_conversation(*, user: User, conversation: Conversation) -> bool:
    ids = channel_ids_for_user(user)
    return ids is None or conversation.channel_id in ids


# --- the inbox list ---------------------------------------------------------------------------
class InboxView:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


def _inbox(
    *, user: User, view: str, status: str | None, channel_uuid, team_uuid, label: str | None
) -> QuerySet[Conversation]:
    qs = conversations_for_user(user)
    if view == InboxView.MINE:
        qs = qs.filter(assignee=user)
    elif view == InboxView.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    if status:
        qs = qs.filter(status=status)
    if channel_uuid:
        qs = qs.filter(channel__uuid=channel_uuid)
    if team_uuid:
        qs = qs.filter(team__uuid=team_uuid)
    if label:
        qs = qs.filter(labels__name=label)  # one label: at most one join row per conversation
    return qs


def conversation_list(
    *,
    user: User,
    view: str = InboxView.ALL,
    status: str | None = Conversation.Status.OPEN,
    channel_uuid=None,
    team_uuid=None,
    label: str | None = None,
    before: tuple | None = None,
    limit: int = 25,
) -> list[Conversation]:
    """One page of the inbox, newest activity first, keyset-paginated on (last_activity_at, id)
    so page 500 costs what page 1 costs. Everything a row shows is fetched in one query."""
    qs = _inbox(user=user, view=view, status=status, channel_uuid=channel_uuid, team_uuid=team_uuid, label=label)
    qs = qs.select_related("channel", "contact", "assignee", "team")
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(last_activity_at__lt=at) | Q(last_activity_at=at, pk__lt=pk))
    return list(qs.order_by("-last_activity_at", "-pk")[:limit])


def conversation_in_list(
    *,
    user: User,
    uuid,
    view: str = InboxView.ALL,
    status: str | None = Conversation.Status.OPEN,
    channel_uuid=None,
    team_uuid=None,
    label: str | None = None,
) -> bool:
    """Whether a conversation belongs in an inbox view (a live update deciding whether to show,
    move or drop its row): the very filters `conversation_list` applies."""
    return (
        _inbox(user=user, view=view, status=status, channel_uuid=channel_uuid, team_uuid=team_uuid, label=label)
        .filter(uuid=uuid)
        .exists()
    )


def agents_for_channel(channel: Channel) -> QuerySet[User]:
    """Who a conversation of this channel can be assigned to: its inbox members and admins."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(inbox_memberships__channel=channel) | Q(role=User.Role.ADMIN))
        .distinct()
        .order_by("first_name", "username")
    )


def unread_summary(*, user: User) -> dict:
    """Conversations with unread messages that need this agent: theirs, or unassigned in their
    inboxes. Drives the title badge and browser notifications."""
    visible = conversations_for_user(user).filter(status=Conversation.Status.OPEN, unread_count__gt=0)
    mine = visible.filter(assignee=user).count()
    unassigned = visible.filter(assignee__isnull=True).count()
    return {"mine": mine, "unassigned": unassigned, "total": mine + unassigned}
