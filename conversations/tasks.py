from conversations import services


def wake_snoozed() -> int:
    return services.conversations_wake_snoozed()
