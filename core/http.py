"""The one seam for outbound HTTP to providers and subscribers.

Every call gets a timeout and is reported to the registered recorders (monitoring's API call log)
with provider, operation, status, latency and error, with secrets redacted. Unit tests patch
`core.http.request`; integration tests point provider base URLs at local servers.
"""

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings

from core import netguard

logger = logging.getLogger(__name__)

SENSITIVE_PARAM = re.compile(r"(token|secret|key|signature|sig|password|auth|code)", re.IGNORECASE)


class TransportError(Exception):
    """No HTTP answer: timeout, refused connection, TLS failure. Always worth a retry."""

    def __init__(self, message: str, *, timeout: bool = False):
        super().__init__(message)
        self.message = message
        self.timeout = timeout


@dataclass(frozen=True)
class CallRecord:
    provider: str
    operation: str
    method: str
    url: str  # redacted
    status_code: int | None
    latency_ms: int
    error: str
    channel_id: int | None
    reference: str  # e.g. our message UUID, to trace one message through every call


Recorder = Callable[[CallRecord], None]
_recorders: list[Recorder] = []
_clients: dict[int, httpx.Client] = {}
_lock = threading.Lock()


def register_recorder(recorder: Recorder) -> None:
    if recorder not in _recorders:
        _recorders.append(recorder)


def _client() -> httpx.Client:
    # One pooled client per process: workers fork, and sockets must not be shared across forks.
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _lock:
            client = _clients.get(pid)
            if client is None:
                client = httpx.Client(
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                )
                _clients[pid] = client
    return client


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "••••")
    return text


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    parts = urlsplit(url)
    query = urlencode(
        [(k, "••••" if SENSITIVE_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return redact(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")), secrets)


def request(
    method: str,
    url: str,
    *,
    provider: str,
    operation: str,
    channel_id: int | None = None,
    reference: str = "",
    timeout: float | None = None,
    secrets: Iterable[str] = (),
    guard_ssrf: bool = False,
    **kwargs,
) -> httpx.Response:
    """Make one HTTP call and record it. Raises TransportError when no answer arrives,
    netguard.UnsafeURL when `guard_ssrf` refuses the target; HTTP error statuses are returned."""
    secrets = [s for s in secrets if s]
    target = url
    extensions = kwargs.pop("extensions", {})
    headers = dict(kwargs.pop("headers", None) or {})
    if guard_ssrf:
        pinned = netguard.check_url(url)
        if pinned is not None:
            target, headers, extensions = _pin(url, pinned, headers, extensions)
    started = time.monotonic()
    status_code = None
    error = ""
    try:
        response = _client().request(
            method,
            target,
            headers=headers,
            extensions=extensions,
            timeout=timeout or settings.HTTP_TIMEOUT_SECONDS,
            **kwargs,
        )
        status_code = response.status_code
        if status_code >= 400:
            error = redact(response.text[:300], secrets)
        return response
    except httpx.TimeoutException as exc:
        error = f"timeout after {timeout or settings.HTTP_TIMEOUT_SECONDS:g}s"
        raise TransportError(error, timeout=True) from exc
    except httpx.HTTPError as exc:
        error = redact(f"{type(exc).__name__}: {exc}", secrets)[:300]
        raise TransportError(error) from exc
    finally:
        record = CallRecord(
            provider=provider,
            operation=operation,
            method=method.upper(),
            url=redact_url(url, secrets),
            status_code=status_code,
            latency_ms=int((time.monotonic() - started) * 1000),
            error=error,
            channel_id=channel_id,
            reference=reference,
        )
        for recorder in _recorders:
            try:
                recorder(record)
            except Exception:
                logger.exception("API call recorder failed")


@contextmanager
def record_call(*, provider: str, operation: str, target: str, channel_id: int | None = None, reference: str = ""):
    """Record a non-HTTP provider call (IMAP, SMTP, SIP...) in the same log as HTTP calls.

    with http.record_call(provider="email", operation="imap_fetch", target="imap://host:993") as call:
        ...            # raise to record the failure; set call["status_code"] to record one
    """
    started = time.monotonic()
    call: dict = {"status_code": None, "error": ""}
    try:
        yield call
    except Exception as exc:
        call["error"] = f"{type(exc).__name__}: {exc}"[:300]
        raise
    finally:
        record = CallRecord(
            provider=provider,
            operation=operation,
            method=call.get("method", "CALL"),
            url=target,
            status_code=call["status_code"],
            latency_ms=int((time.monotonic() - started) * 1000),
            error=call["error"],
            channel_id=channel_id,
            reference=reference,
        )
        for recorder in _recorders:
            try:
                recorder(record)
            except Exception:
                logger.exception("API call recorder failed")


def _pin(url: str, address: str, headers: dict, extensions: dict):
    """Connect to the checked address while keeping the Host header and TLS name of the URL."""
    parts = urlsplit(url)
    host_for_url = f"[{address}]" if ":" in address else address
    netloc = host_for_url + (f":{parts.port}" if parts.port else "")
    headers.setdefault("Host", parts.netloc.rsplit("@", 1)[-1])
    if parts.scheme == "https":
        extensions = {**extensions, "sni_hostname": parts.hostname}
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), headers, extensions
