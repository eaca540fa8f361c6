"""Claiming rows of a durable work queue in batches.

A work row has `status`, `attempts`, `next_attempt_at` and `lease_until`. A drain task claims up to
`limit` due rows at once: on PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers
never take the same row; on SQLite the IMMEDIATE transaction already serialises writers, which
gives the same guarantee. A claimed row whose worker dies becomes due again when its lease ends.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone


def claim_batch(
    queryset, *, due: Q, claimed_status: str, limit: int, lease_seconds: int, order_by=("id",)
) -> list[int]:
    """Mark up to `limit` rows matching `due` as `claimed_status`, leased for `lease_seconds`,
    with `attempts` incremented. Returns their ids in `order_by` order."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queryset.filter(due)
            .order_by(*order_by)
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            queryset.model.objects.filter(id__in=ids).update(
                status=claimed_status,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=F("attempts") + 1,
            )
    return ids


def release(model, ids: list[int], status: str) -> None:
    """Give back rows claimed but not worked on (a drain out of time): their attempt did not
    happen, so they are due again at once with their attempt count unchanged."""
    model.objects.filter(id__in=ids).update(status=status, lease_until=None, attempts=F("attempts") - 1)


def due_or_expired(*, pending_status: str, claimed_status: str) -> Q:
    """Rows waiting for their next attempt, and claimed rows whose worker never finished."""
    now = timezone.now()
    return Q(status=pending_status, next_attempt_at__lte=now) | Q(status=claimed_status, lease_until__lt=now)


BACKOFF_SECONDS = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)


def backoff(attempts: int) -> timedelta:
    """Delay before attempt `attempts + 1` (attempts already made >= 1)."""
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])
