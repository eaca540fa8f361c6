"""Building test data through the same services production uses."""

from channels_app.adapters import InboundMessage, Sender
from conversations import services
from conversations.models import Conversation


def receive(channel, *, sender_id: str = "cust-1", text: str = "Olá", msg_id: str | None = None, name: str = ""):
    """A customer message arriving on an `api` channel, as the pipeline would apply it."""
    receive.counter += 1
    return services.message_receive(
        channel=channel,
        item=InboundMessage(
            provider_message_id=msg_id or f"in-{receive.counter}",
            sender=Sender(medium="api", address=f"{channel.uuid}:{sender_id}", name=name or sender_id),
            content=text,
        ),
    )


receive.counter = 0


def conversation_with_customer(channel, sender_id: str = "cust-1") -> Conversation:
    return receive(channel, sender_id=sender_id).conversation


def reply(conversation, agent=None, text: str = "Resposta", **draft):
    return services.message_send(conversation=conversation, draft=services.Draft(content=text, **draft), sender=agent)
