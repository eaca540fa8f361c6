"""A receiver of `api`-channel callbacks and outbound webhooks, over real HTTP on loopback.

It records every request and answers from a script of responses (status, body, delay), then
with 200. Like a careful real receiver it verifies Standard Webhooks signatures and drops
duplicates by `webhook-id`, so `accepted` lists what a CRM would have acted on.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Reply:
    status: int = 200
    body: dict | str = field(default_factory=dict)
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class CallbackServer:
    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.script: list[Reply] = []
        self.received: list[Received] = []
        self.accepted: dict[str, Received] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with server.lock:
                    server.received.append(request)
                    reply = server.script.pop(0) if server.script else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status < 300 and server.secret:
                    Webhook(server.secret).verify(body, request.headers)  # raises if not authentic
                    with server.lock:
                        server.accepted.setdefault(request.headers["webhook-id"], request)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload.encode())))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
