"""Tasks are interfaces: they call one service and nothing else."""

from channels_app.providers.email import services


def mailboxes_poll() -> int:
    return services.mailboxes_poll()
