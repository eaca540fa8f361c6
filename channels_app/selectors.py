"""Reads for channels."""

from channels_app.models import Channel


def channel_get_for_webhook(*, kind: str, uuid) -> Channel | None:
    return Channel.objects.filter(kind=kind, uuid=uuid, is_active=True).first()
