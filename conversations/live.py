"""Live fan-out: domain events → channel-layer groups → the agents' WebSockets.

Group names are made here only: `inbox.<channel uuid>` (everyone who works that inbox),
`conversation.<uuid>` (whoever has it open), `user.<uuid>` (one agent), `admins`.
Runs after commit; losing a message on a crash is acceptable because consoles resync on reconnect.
"""

from core import realtime
from core.events import Event

CONSOLE_EVENT = "console.event"


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
