"""Reads for channels."""

import time

from channels_app.models import Channel

# The webhook view runs for every provider delivery, often hundreds per second; looking the
# channel up (and decrypting its credentials) each time costs more than the rest of the view.
# A few seconds of staleness is harmless: a deactivated channel stops accepting within that time.
_WEBHOOK_CACHE_SECONDS = 5.0
_webhook_cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}


def channel_get_for_webhook(*, kind: str, uuid) -> Channel | None:
    key = (kind, str(uuid))
    now = time.monotonic()
    cached = _webhook_cache.get(key)
    if cached is not None and now - cached[0] < _WEBHOOK_CACHE_SECONDS:
        return cached[1]
    channel = Channel.objects.filter(kind=kind, uuid=uuid, is_active=True).order_by().first()
    if len(_webhook_cache) > 10_000:
        _webhook_cache.clear()
    _webhook_cache[key] = (now, channel)
    return channel


def webhook_cache_clear() -> None:
    _webhook_cache.clear()


def channel_call_counts(*, channel: Channel, since) -> dict[str, int]:
    """How many provider API calls the channel made since `since`, and how many failed."""
    from django.db.models import Count, Q

    from monitoring.models import ApiCall

    return ApiCall.objects.filter(channel=channel, created_at__gte=since).aggregate(
        total=Count("id"), failed=Count("id", filter=Q(ok=False))
    )
