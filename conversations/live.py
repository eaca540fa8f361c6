"""Live fan-out: domain events → channel-layer groups → the agents' WebSockets, and the web chat
visitors' WebSockets.

Group names are made here only: `inbox.<channel uuid>` (everyone who works that inbox),
`conversation.<uuid>` (whoever has it open), `user.<uuid>` (one agent), `admins`, and
`widget.<hash of the visitor's address>` (every tab and device of one web chat visitor).
Runs after commit; losing a message on a crash is acceptable because consoles and widgets resync
on reconnect.
"""

import hashlib

from django.core.cache import cache

from core import realtime
from core.events import Event

CONSOLE_EVENT = "console.event"
VISITOR_EVENT = "widget.event"
# What a visitor hears about: their own messages (other tabs, and the confirmation of a send),
# agents having read them, the conversation closing. Agent and bot messages reach visitors
# through the widget adapter's send(), i.e. the outbound pipeline, not through here.
VISITOR_EVENTS = ("message.received", "conversation.updated", "conversation.status_changed")


def inbox_group(channel_uuid) -> str:
    return realtime.group_name("inbox", channel_uuid)


def conversation_group(conversation_uuid) -> str:
    return realtime.group_name("conversation", conversation_uuid)


def user_group(user_uuid) -> str:
    return realtime.group_name("user", user_uuid)


ADMINS_GROUP = "admins"


def groups_for(event: Event) -> list[str]:
    facts = event.facts
    if event.name.startswith(("message.", "conversation.")):
        # Everyone who may see the conversation is in its inbox's group (admins join them all);
        # the conversation group carries only typing signals between open tabs.
        return [inbox_group(facts["channel_id"])]
    if event.name.startswith("channel."):
        return [ADMINS_GROUP, inbox_group(facts["channel_id"])]
    return []


def fan_out(event: Event) -> None:
    """Tell the consoles what changed. The envelope carries ids only (no database reads here):
    consoles fetch the fragments they show, through the same authorisation as any page."""
    groups = groups_for(event)
    if not groups:
        return
    realtime.broadcast(
        groups,
        {"type": CONSOLE_EVENT, "event": event.name, "timestamp": event.occurred_at.isoformat(), "facts": event.facts},
    )


# --- web chat visitors ------------------------------------------------------------------------
def visitor_group(address: str) -> str:
    """The group of one web chat visitor, by their identity address (hashed: addresses carry the
    site's user ids, which have no business in a group name)."""
    return realtime.group_name("widget", hashlib.sha256(address.encode()).hexdigest()[:40])


# A visitor whose network blocks WebSockets polls instead, and would never hear that an agent is
# typing: the signal is also kept in the shared cache for a few seconds, read by the poll.
VISITOR_TYPING_SECONDS = 5


def _typing_key(group: str) -> str:
    return f"widget-typing:{group}"


async def visitor_typing_send(groups: list[str], *, name: str, typing: bool) -> None:
    """An agent is typing in a web chat conversation: tell the visitor's open sockets, and
    remember it for the visitor's polls."""
    message = {"type": "widget.typing", "name": name, "typing": typing}
    await realtime.broadcast_from_socket(groups, message)
    for group in groups:
        if typing:
            await cache.aset(_typing_key(group), name, VISITOR_TYPING_SECONDS)
        else:
            await cache.adelete(_typing_key(group))


def visitor_typing_name(address: str) -> str | None:
    """Who is typing to this visitor right now (for a poll), or None."""
    return cache.get(_typing_key(visitor_group(address)))


def visitor_typing_message(*, conversation_uuid: str, name: str, typing: bool) -> tuple[list[str], dict]:
    """The visitor's typing signal for the agents who have the conversation open."""
    return [conversation_group(conversation_uuid)], {
        "type": "console.typing",
        "conversation_id": conversation_uuid,
        "user_id": "visitor",  # never an agent's id: consoles show it to everyone
        "name": name,
        "typing": typing,
    }


_visitor_channels: dict[str, bool] = {}


def _talks_to_visitors(channel_uuid: str) -> bool:
    # A channel's kind never changes: one query per channel per process, none per event.
    if channel_uuid not in _visitor_channels:
        from channels_app.models import Channel
        from channels_app.registry import adapter_class

        kind = Channel.objects.filter(uuid=channel_uuid).values_list("kind", flat=True).first()
        try:
            _visitor_channels[channel_uuid] = kind is not None and adapter_class(kind).identity_medium == "web"
        except LookupError:
            _visitor_channels[channel_uuid] = False
    return _visitor_channels[channel_uuid]


def visitor_groups_for_conversation(*, channel_uuid: str, conversation_pk: int) -> list[str]:
    """The visitor groups of a web chat conversation's contact ([] on other channels)."""
    if not _talks_to_visitors(channel_uuid):
        return []
    from contacts.models import ContactIdentity

    addresses = ContactIdentity.objects.filter(
        medium="web", address__startswith=f"{channel_uuid}:", contact__conversations__pk=conversation_pk
    ).values_list("address", flat=True)
    return [visitor_group(address) for address in addresses]


def visitor_fan_out(event: Event) -> None:
    """Tell a web chat visitor's browsers what changed in their conversations. Ids only; the
    visitor consumer re-reads through the visitor selectors. Never private notes."""
    facts = event.facts
    if event.name not in VISITOR_EVENTS or facts.get("private") or "channel_id" not in facts:
        return
    if event.name == "conversation.updated" and facts.get("unread_count") != 0:
        return  # labels and the like are the agents' business; "read by an agent" is the visitor's
    groups = visitor_groups_for_conversation(channel_uuid=facts["channel_id"], conversation_pk=facts["conversation_pk"])
    if not groups:
        return
    realtime.broadcast(
        groups,
        {
            "type": VISITOR_EVENT,
            "event": event.name,
            "conversation_id": facts["conversation_id"],
            "message_id": facts.get("message_id"),
            "status": facts.get("status"),
        },
    )
