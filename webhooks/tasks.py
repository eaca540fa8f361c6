"""Tasks are interfaces: they call one service and nothing else."""

from webhooks import services


def deliveries_drain() -> int:
    return services.deliveries_drain()


def prune_deliveries() -> int:
    return services.prune_deliveries()
