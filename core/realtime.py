"""The only module that talks to the Channels layer.

`broadcast()` sends a message to channel-layer groups. In production the layer is Redis, shared
by every process. In the zero-setup topology the layer is in memory, inside daphne, where the
worker process cannot reach it; `LIVE_RELAY = "database"` then writes each message to a table and
a relay task inside daphne (started by the first WebSocket that connects) forwards new rows to
the in-memory layer.
"""

import asyncio
import logging
import os
import re
import threading
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

_GROUP_RE = re.compile(r"[^a-zA-Z0-9._-]")
RELAY_POLL_SECONDS = 0.15
RELAY_KEEP_SECONDS = 300


def group_name(kind: str, key: object) -> str:
    """`inbox.<uuid>`, `conversation.<uuid>`, `user.<uuid>`: names the layer accepts."""
    return _GROUP_RE.sub("-", f"{kind}.{key}")[:99]


def broadcast(groups: list[str], message: dict) -> None:
    """Send `message` (with a `type` naming the consumer handler) to each group. Sync callers."""
    if not groups:
        return
    if settings.LIVE_RELAY == "database":
        from core.models import RelayedMessage

        RelayedMessage.objects.create(groups=groups, message=message)
        return
    # The caller does not wait for Redis: live delivery is best effort by design (clients
    # resync on reconnect). One task in the sender thread sends in order, one at a time, so a
    # burst of events neither reorders nor opens more connections than the layer allows.
    loop, queue = _sender()
    loop.call_soon_threadsafe(queue.put_nowait, (groups, message))


# async_to_sync would build an event loop (and new Redis connections) for every call; a worker
# broadcasting hundreds of events a second keeps one loop in a thread of its own instead.
_senders: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = {}
_senders_lock = threading.Lock()
SENDER_QUEUE_LIMIT = 10_000


def _sender() -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
    pid = os.getpid()  # a forked worker needs a loop (and thread) of its own
    sender = _senders.get(pid)
    if sender is None:
        with _senders_lock:
            sender = _senders.get(pid)
            if sender is None:
                loop = asyncio.new_event_loop()
                queue: asyncio.Queue = asyncio.Queue(maxsize=SENDER_QUEUE_LIMIT)
                threading.Thread(target=_run_sender, args=(loop, queue), name="realtime-sender", daemon=True).start()
                sender = _senders[pid] = (loop, queue)
    return sender


def _run_sender(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    asyncio.set_event_loop(loop)
    loop.run_until_complete(_send_forever(queue))


async def _send_forever(queue: asyncio.Queue) -> None:
    layer = get_channel_layer()
    while True:
        groups, message = await queue.get()
        try:
            await _send_all(layer, groups, message)
        except Exception as exc:
            logger.warning("live broadcast failed: %r", exc)


async def broadcast_from_socket(groups: list[str], message: dict) -> None:
    """Ephemeral signals between connected browsers (typing indicators), sent by a consumer.
    They start and end inside daphne, so they go straight to the layer in both topologies."""
    await _send_all(get_channel_layer(), groups, message)


async def _send_all(layer, groups, message):
    for group in groups:
        await layer.group_send(group, message)


# --- zero-setup relay (runs inside the daphne process) ----------------------------------------
_relay_task: asyncio.Task | None = None


async def ensure_relay_started() -> None:
    """Start the database → in-memory layer relay once per process (no-op with Redis)."""
    global _relay_task
    if settings.LIVE_RELAY != "database":
        return
    if _relay_task is None or _relay_task.done():
        start_after = await _latest_relayed_id()
        _relay_task = asyncio.get_running_loop().create_task(_relay_forever(start_after))


@database_sync_to_async
def _latest_relayed_id() -> int:
    from core.models import RelayedMessage

    return RelayedMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


@database_sync_to_async
def _fetch_after(last_id: int) -> list[tuple[int, list, dict]]:
    from core.models import RelayedMessage

    return list(
        RelayedMessage.objects.filter(id__gt=last_id).order_by("id").values_list("id", "groups", "message")[:500]
    )


@database_sync_to_async
def _prune() -> None:
    from core.models import RelayedMessage

    cutoff = timezone.now() - timedelta(seconds=RELAY_KEEP_SECONDS)
    RelayedMessage.objects.filter(created_at__lt=cutoff).delete()


async def _relay_forever(last_id: int) -> None:
    layer = get_channel_layer()
    rounds = 0
    while True:
        try:
            rows = await _fetch_after(last_id)
            for row_id, groups, message in rows:
                await _send_all(layer, groups, message)
                last_id = row_id
            rounds += 1
            if rounds % 2000 == 0:
                await _prune()
        except Exception:
            logger.exception("live relay round failed; retrying")
        await asyncio.sleep(RELAY_POLL_SECONDS)
