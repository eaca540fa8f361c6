"""Load generation for `make bench`: signed webhook bodies, an open-loop HTTP/1.1 client that
measures latency from each request's scheduled time (no coordinated omission), and a WebSocket
listener for webhook → agent latency."""

import asyncio
import hashlib
import hmac
import json
import time


def signed_webhook_bodies(secret: str, count: int, *, prefix: str, contacts: int = 2000, per_contact: int = 0):
    """`count` signed `api`-channel messages. By default they rotate over `contacts` senders
    (every sender is new until the rotation comes round); with `per_contact`, each sender writes
    that many messages in a row and then a new sender appears — a steady stream of new and
    ongoing conversations."""
    for i in range(count):
        sender = i // per_contact if per_contact else i % contacts
        body = json.dumps(
            {
                "id": f"{prefix}-{i}",
                "from": {"id": f"{prefix}-c{sender}", "name": f"Cliente {sender}"},
                "text": f"Olá, tudo bem? Mensagem {i} sobre o pedido {1000 + i}.",
            },
            separators=(",", ":"),
        ).encode()
        yield body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _read_response(reader) -> tuple[int, bool]:
    """(status, whether the server closes the connection after this answer)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, closes = 0, False
    for line in head.split(b"\r\n"):
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
        elif lower.startswith(b"connection:") and b"close" in lower:
            closes = True
    if length:
        await reader.readexactly(length)
    return status, closes


def _request(host, port, path, body, signature) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"X-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body


async def open_loop(host, port, path, *, bodies, rate: int, seconds: int, connections: int = 48, on_accept=None):
    """Send `rate` requests per second for `seconds`, whatever the server's pace."""
    queue: asyncio.Queue = asyncio.Queue()
    latencies, statuses = [], {}
    start = time.monotonic() + 0.2

    async def schedule():
        for n, (body, signature) in enumerate(bodies):
            due = start + n / rate
            if due > start + seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((due, body, signature))
        for _ in range(connections):
            queue.put_nowait(None)

    async def connection():
        reader, writer = await asyncio.open_connection(host, port)
        while (job := await queue.get()) is not None:
            due, body, signature = job
            for _attempt in range(2):
                try:
                    writer.write(_request(host, port, path, body, signature))
                    await writer.drain()
                    status, closes = await _read_response(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
            else:
                status, closes = 0, True
            if closes:  # gunicorn's sync workers answer and hang up: open the next one now
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            done = time.monotonic()
            latencies.append((done - due) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if on_accept is not None and status == 200:
                on_accept(json.loads(body)["id"], done)
        writer.close()

    await asyncio.gather(schedule(), *(connection() for _ in range(connections)))
    latencies.sort()
    return {
        "rate_per_s": rate,
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "max_ms": round(latencies[-1], 2),
    }


async def websocket_latency(
    *, http, ws_url, cookie, secret, rate, seconds, prefix="lat", per_contact=5, warmup_seconds=5
):
    import websockets

    host, port, path = http
    accepted, arrivals = {}, {}
    async with websockets.connect(
        ws_url, additional_headers={"Cookie": cookie, "Origin": f"http://{host}:{port}"}
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello

        async def listen():
            try:
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("event") == "message.received":
                        arrivals[message["data"]["message_id"]] = time.monotonic()
            except (asyncio.CancelledError, websockets.ConnectionClosed):
                return

        listener = asyncio.create_task(listen())
        # Warm up first (worker processes importing code, first connections, statements not yet
        # prepared): the same traffic, not measured.
        await open_loop(
            host,
            port,
            path,
            bodies=signed_webhook_bodies(
                secret, rate * warmup_seconds, prefix=f"{prefix}warm", per_contact=per_contact
            ),
            rate=rate,
            seconds=warmup_seconds,
            connections=8,
        )
        await open_loop(
            host,
            port,
            path,
            bodies=signed_webhook_bodies(
                secret, rate * seconds, prefix=prefix, contacts=rate * seconds // 5, per_contact=per_contact
            ),
            rate=rate,
            seconds=seconds,
            connections=8,
            on_accept=lambda pid, t: accepted.__setitem__(pid, t),
        )
        await asyncio.sleep(5)
        listener.cancel()
    return {"accepted": accepted, "arrivals": arrivals}
