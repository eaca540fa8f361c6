"""Request rate limits shared by every web process (API-RATE).

A limit is a fixed window that starts with a bucket's first request: `limit` requests, then
refusals until `window` seconds after that first request. Counters live in the shared cache
(Redis in production), so every process counts against the same number; they are never kept in
process memory.

On Redis one Lua call increments the counter and reads its remaining lifetime atomically, so
concurrent requests never lose a count and a counter can never be left without an expiry. On the
database cache of the zero-setup mode the count is a read-then-write and may undercount slightly
under heavy concurrency, which is acceptable there.

    decision = ratelimit.hit("api:key:<uuid>", limit=100, window=60)
    response.headers.update(decision.headers())
    if not decision.allowed: ...  # answer 429 with decision.retry_after

`limit_view` wraps a plain Django view (the web-chat widget's visitor endpoints use it).
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext as _

# Returns the count and the window's end (ms, Redis clock), the same for every request of a window.
_LUA_HIT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
local now = redis.call('TIME')
return {count, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl}
"""
_script = None


@dataclass(frozen=True)
class Decision:
    limit: int
    count: int
    reset_at: int  # Unix time (seconds) when the window ends, rounded up for the header
    ends: float  # the exact end, for Retry-After (rounding both ways could say 61 s of a 60 s window)

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.ends - time.time()))

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def hit(bucket: str, *, limit: int, window: int, cost: int = 1) -> Decision:
    """Count one request (or `cost`) against `bucket` and say whether it is within `limit`."""
    key = f"ratelimit:{bucket}"
    count, ends = _hit_redis(key, window, cost) if settings.REDIS_URL else _hit_cache(key, window, cost)
    return Decision(limit=limit, count=count, reset_at=math.ceil(ends), ends=ends)


def _hit_redis(key: str, window: int, cost: int) -> tuple[int, float]:
    global _script
    full_key = cache.make_key(key)
    client = cache._cache.get_client(full_key, write=True)
    if _script is None:
        _script = client.register_script(_LUA_HIT)
    count, ends_ms = _script(keys=[full_key], args=[cost, window * 1000], client=client)
    return int(count), int(ends_ms) / 1000


def _hit_cache(key: str, window: int, cost: int) -> tuple[int, float]:
    now = time.time()
    cache.add(f"{key}:ends", now + window, window)
    ends = cache.get(f"{key}:ends") or now + window
    cache.add(key, 0, window)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.set(key, cost, window)
        count = cost
    return count, ends


def client_ip(request) -> str:
    """The caller's address: REMOTE_ADDR, or the address `NUM_PROXIES` trusted proxies saw."""
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)


def limit_view(
    scope: str, *, limit: int | Callable[[], int], window: int = 60, key: Callable | None = None
) -> Callable:
    """Rate-limit a plain Django view per client (by `key(request)`, default the client IP).
    Adds the X-RateLimit-* headers; over the limit answers 429 with the API's error shape."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            ident = key(request) if key else client_ip(request)
            decision = hit(f"{scope}:{ident}", limit=limit() if callable(limit) else limit, window=window)
            if not decision.allowed:
                response = JsonResponse(
                    {"error": {"code": "rate_limited", "message": too_many_message(decision, window)}}, status=429
                )
            else:
                response = view(request, *args, **kwargs)
            for name, value in decision.headers().items():
                response[name] = value
            return response

        return wrapped

    return decorator


def too_many_message(decision: Decision, window: int) -> str:
    return _("Rate limit exceeded: %(limit)s requests per %(window)s seconds. Try again in %(wait)s seconds.") % {
        "limit": decision.limit,
        "window": window,
        "wait": decision.retry_after,
    }
