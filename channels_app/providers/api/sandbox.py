"""Sandbox for the `api` channel: a stand-in receiver inside the product, so a demo or a new
integration can be tried before any callback URL exists. It accepts every message at once and
reports it delivered, as a well-behaved receiver would."""

from channels_app.adapters import OutboundMessage, SendResult


def deliver(message: OutboundMessage) -> SendResult:
    return SendResult(provider_message_id=f"sandbox-{message.uuid}", state="delivered")
