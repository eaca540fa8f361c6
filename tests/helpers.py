"""Helpers shared by the test suite."""

import json
from contextlib import contextmanager

from django.conf import settings

from core import events, signing


@contextmanager
def capture_events():
    """Collect the domain events published inside the block (as durable subscribers see them)."""
    seen: list[events.Event] = []
    events.subscribe(seen.append, durable=True)
    try:
        yield seen
    finally:
        events.unsubscribe(seen.append)


def api_body(**fields) -> bytes:
    return json.dumps(fields).encode()


def api_signature(secret: str, body: bytes) -> str:
    return "sha256=" + signing.hmac_sha256_hex(secret, body)


def post_api_webhook(
    client, channel, payload: dict | bytes, *, secret: str | None = None, signature: str | None = None
):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature is not None:
        headers["HTTP_X_SIGNATURE_256"] = signature
    else:
        headers["HTTP_X_SIGNATURE_256"] = api_signature(secret or channel.credentials["secret"], body)
    return client.post(f"/webhooks/api/{channel.uuid}/", data=body, content_type="application/json", **headers)


def inbound_message(msg_id: str, sender_id: str = "cust-1", text: str = "Olá!", **extra) -> dict:
    return {"id": msg_id, "from": {"id": sender_id, "name": extra.pop("name", "Maria Silva")}, "text": text, **extra}


def clear_cache_namespace() -> None:
    """Delete this run's cache keys only (other test runs may share the Redis database)."""
    from django.core.cache import cache

    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
