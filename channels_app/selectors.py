"""Reads for channels."""

from channels_app.models import Channel


def channel_get_for_webhook(*, kind: str, uuid) -> Channel | None:
    return Channel.objects.filter(kind=kind, uuid=uuid, is_active=True).first()


def channel_call_counts(*, channel: Channel, since) -> dict[str, int]:
    """How many provider API calls the channel made since `since`, and how many failed."""
    from django.db.models import Count, Q

    from monitoring.models import ApiCall

    return ApiCall.objects.filter(channel=channel, created_at__gte=since).aggregate(
        total=Count("id"), failed=Count("id", filter=Q(ok=False))
    )
