"""Tasks are interfaces: they call one service and nothing else."""

from channels_app.providers.web_widget import services


def prune_uploads() -> int:
    return services.uploads_prune()
