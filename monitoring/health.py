"""Liveness and readiness probes (OPS)."""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """The process is alive and serving requests. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check(name, func):
    started = time.monotonic()
    try:
        func()
        return name, {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as exc:  # any failure means "not ready"
        return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _channel_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def roundtrip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "readyz"})
        await layer.receive(channel)

    async_to_sync(roundtrip)()


def _broker():
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise RuntimeError("task broker did not answer")


@never_cache
def readyz(request):
    checks = dict(
        _check(name, func)
        for name, func in (
            ("database", _database),
            ("cache", _cache),
            ("channel_layer", _channel_layer),
            ("task_broker", _broker),
        )
    )
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
