"""Tasks are interfaces: they call one service and nothing else."""

from accounts import services


def prune_api_records() -> int:
    return services.api_records_prune()
