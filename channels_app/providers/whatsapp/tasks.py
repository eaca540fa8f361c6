"""Tasks are interfaces: they call one service and nothing else."""

from channels_app.providers.whatsapp import sandbox, services


def templates_sync_all() -> int:
    return services.templates_sync_all()


def template_sync_channel(channel_id: int) -> int:
    from channels_app.models import Channel

    channel = Channel.objects.filter(pk=channel_id, kind="whatsapp", is_active=True).first()
    return services.template_sync(channel=channel) if channel else 0


def sandbox_post_webhooks(channel_id: int, bodies: list[str]) -> int:
    return sandbox.post_webhooks(channel_id=channel_id, bodies=bodies)


def simulator_post(channel_id: int, body: str) -> int:
    return sandbox.post_webhooks(channel_id=channel_id, bodies=[body], operation="simulated_inbound")
