"""Domain events: the one way a service tells the rest of the system that something happened.

Only services publish (never signals, `save()` overrides or views). An event carries ids and
routing facts; each subscriber re-reads committed state and builds its own payload.

Two kinds of subscriber, registered from an app's `AppConfig.ready()`:
- durable: called at once, inside the publishing service's transaction. Whatever they write
  commits or rolls back with the change itself (the outbound-webhook outbox lives here).
- live: called after commit (`transaction.on_commit`): realtime fan-out, counters. Losing one on
  a crash is acceptable because clients resync on reconnect.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Public names, as published on outbound webhooks.
MESSAGE_RECEIVED = "message.received"
MESSAGE_CREATED = "message.created"  # agent, bot or system message, or a private note
MESSAGE_SENT = "message.sent"
MESSAGE_DELIVERED = "message.delivered"
MESSAGE_READ = "message.read"
MESSAGE_FAILED = "message.failed"
MESSAGE_UPDATED = "message.updated"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_UPDATED = "conversation.updated"
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CHANNEL_STATUS_CHANGED = "channel.status_changed"


@dataclass(frozen=True)
class Event:
    name: str
    facts: dict  # ids (UUID strings) and routing facts; never full objects
    occurred_at: datetime = field(default_factory=timezone.now)


Subscriber = Callable[[Event], None]
_durable: list[Subscriber] = []
_live: list[Subscriber] = []


def subscribe(handler: Subscriber, *, durable: bool) -> None:
    registry = _durable if durable else _live
    if handler not in registry:
        registry.append(handler)


def unsubscribe(handler: Subscriber) -> None:
    for registry in (_durable, _live):
        if handler in registry:
            registry.remove(handler)


def publish(name: str, **facts) -> Event:
    """Publish from inside a service's transaction.

    Durable subscribers run now, in the caller's transaction; live ones after it commits.
    """
    event = Event(name=name, facts=facts)
    for handler in list(_durable):
        handler(event)
    if _live:
        transaction.on_commit(lambda: _run_live(event))
    return event


def _run_live(event: Event) -> None:
    for handler in list(_live):
        try:
            handler(event)
        except Exception:  # a live consumer must never break the committed change
            logger.exception("live subscriber %s failed for %s", handler, event.name)
