"""The only module that hands work to the task broker (django-q2).

Work that must not be lost lives in rows with a status (inbound events, outbound messages,
webhook deliveries); a broker task only says "there is work in queue X". Enqueueing coalesces:
while a drain task for a queue is pending, no second one is queued, so a burst of 10,000
webhooks costs a handful of broker tasks. A scheduled sweeper (see `ensure_schedules`) re-kicks
every queue, so a lost broker task delays work by at most a minute and never loses it.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

# queue name -> dotted path of the task that drains it
QUEUES = {
    "inbound": "channels_app.tasks.inbound_drain",
    "outbound": "channels_app.tasks.outbound_drain",
}
PENDING_FLAG_SECONDS = 300


def register_queue(name: str, task_path: str) -> None:
    """Apps with queues of their own (outbound webhooks, mail polling) register them here."""
    QUEUES[name] = task_path


def _flag(queue: str) -> str:
    return f"queue-pending:{queue}"


# Every webhook asks "is a drain already pending?". Through Django's cache API each question
# builds a Redis client object (a third of the webhook view's time); with Redis configured we
# ask one long-lived client instead. redis-py's pool notices forks, so workers are safe.
_redis = None


def _raw_redis():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _flag_key(queue: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{_flag(queue)}"


def _flag_add(queue: str) -> bool:
    if settings.REDIS_URL:
        return bool(_raw_redis().set(_flag_key(queue), 1, nx=True, ex=PENDING_FLAG_SECONDS))
    return cache.add(_flag(queue), 1, PENDING_FLAG_SECONDS)


def _flag_clear(queue: str) -> None:
    if settings.REDIS_URL:
        _raw_redis().delete(_flag_key(queue))
    else:
        cache.delete(_flag(queue))


def kick(queue: str) -> None:
    """Ask for a drain of `queue` once the current transaction commits."""
    transaction.on_commit(lambda: kick_now(queue))


def kick_now(queue: str) -> None:
    if not _flag_add(queue):
        return  # a drain is already pending; it will see this work
    try:
        async_task(QUEUES[queue], task_name=f"drain-{queue}", group=queue)
    except Exception:
        _flag_clear(queue)
        logger.exception("could not enqueue a drain of %s; the sweeper will", queue)


def drain_started(queue: str) -> None:
    """Called first by a drain task: work arriving from now on queues a new drain."""
    _flag_clear(queue)


def run(task_path: str, *args, **kwargs) -> None:
    """Queue a one-off task after commit (reports, syncs: work whose loss only delays)."""
    transaction.on_commit(lambda: async_task(task_path, *args, **kwargs))


def sweep() -> None:
    """Scheduled every minute: drain every queue, whatever the flags say."""
    for queue in QUEUES:
        _flag_clear(queue)
        kick_now(queue)


SCHEDULES = {
    "sweep-queues": ("core.tasks.sweep", Schedule.MINUTES, 1),
}


def register_schedule(name: str, func: str, schedule_type: str, minutes: int | None = None) -> None:
    SCHEDULES[name] = (func, schedule_type, minutes)


def ensure_schedules() -> None:
    """Create or update the periodic tasks (run by `migrate`'s post hook and `make run`)."""
    for name, (func, schedule_type, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
        )
