"""Tasks are interfaces: they call one service and nothing else."""

from channels_app import services


def inbound_drain() -> int:
    return services.inbound_drain()


def outbound_drain() -> int:
    return services.outbound_drain()


def prune_processed_events() -> int:
    return services.prune_processed_events()


def conversation_read_receipt_send(conversation_id: int) -> bool:
    return services.conversation_read_receipt_send(conversation_id=conversation_id)
