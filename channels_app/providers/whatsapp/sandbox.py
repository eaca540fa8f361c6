"""The product's own stand-in for the parts of Meta's Graph API a WhatsApp channel uses, so the
whole flow can be tried with no Meta account (sandbox channels, `make run`'s demo) and tested
over real HTTP.

It answers like Meta: same paths, same success bodies, Meta's error envelope and codes, bearer
tokens checked. After accepting a message it produces the signed `sent`, `delivered` and `read`
status webhooks Meta would post back. Recipients ending in 1047 get Meta's asynchronous 131047
failure (window closed) and in 1026 a 131026 (undeliverable), to show failures in a demo.

Endpoints (after the base URL):
    POST /{version}/{phone-number-id}/messages       send, or mark as read
    POST /{version}/{phone-number-id}/media          upload (multipart: file, type, messaging_product)
    GET  /{version}/{phone-number-id}                number details (the "test connection" call)
    GET  /{version}/{waba-id}/message_templates      demo templates (approved, paused, rejected)
    GET  /{version}/{media-id}                       media URL; GET /download/{media-id} the bytes

Two transports share GraphSandbox: the view mounted at /sandbox/whatsapp/graph/ (sandbox
channels, status callbacks queued as a task that posts them to the channel's webhook URL), and
SandboxServer, a threaded HTTP server on a free local port that the tests start.
"""

import email.parser
import email.policy
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from channels_app.providers.whatsapp import signature, simulator
from core import signing

logger = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class Number:
    """A business number the sandbox serves, with what it needs to check calls and sign callbacks."""

    phone_number_id: str
    display_phone_number: str
    waba_id: str
    access_token: str
    app_secret: str
    verified_name: str = "Sandbox"
    channel_id: int | None = None

    @property
    def business(self) -> simulator.Business:
        return simulator.Business(self.phone_number_id, self.display_phone_number, self.waba_id)


@dataclass
class Webhook:
    """A status callback to post to the number's webhook URL, signed with its app secret."""

    number: Number
    body: bytes

    @property
    def signature(self) -> str:
        return signature.sign(self.number.app_secret, self.body)


@dataclass
class Reply:
    status: int
    body: dict | bytes
    content_type: str = "application/json"

    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    json: object = None
    form: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


@dataclass
class Scripted:
    """A failure a test wants on the next send: answered at once (`http_status` set) or, like
    Meta's 131047, accepted with 200 and reported by a `failed` status."""

    code: int
    title: str
    details: str = ""
    http_status: int | None = None


# --- media --------------------------------------------------------------------------------------
class MemoryMediaStore:
    def __init__(self):
        self.items: dict[str, tuple[bytes, str, str]] = {}

    def put(self, data: bytes, mime_type: str, owner: str) -> str:
        media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        self.items[media_id] = (data, mime_type, owner)
        return media_id

    def get(self, media_id: str):
        return self.items.get(media_id)


class StorageMediaStore:
    """Media in Django's default storage, so the web process, the worker and the simulator
    command see the same files."""

    PREFIX = "whatsapp-sandbox"

    def put(self, data: bytes, mime_type: str, owner: str) -> str:
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        default_storage.save(f"{self.PREFIX}/{media_id}.bin", ContentFile(data))
        default_storage.save(
            f"{self.PREFIX}/{media_id}.json", ContentFile(json.dumps({"mime_type": mime_type, "owner": owner}).encode())
        )
        return media_id

    def get(self, media_id: str):
        from django.core.files.storage import default_storage

        if not media_id.isdigit() or not default_storage.exists(f"{self.PREFIX}/{media_id}.json"):
            return None
        with default_storage.open(f"{self.PREFIX}/{media_id}.json") as handle:
            meta = json.loads(handle.read())
        with default_storage.open(f"{self.PREFIX}/{media_id}.bin") as handle:
            return handle.read(), meta["mime_type"], meta["owner"]


# --- demo templates -----------------------------------------------------------------------------
def demo_templates(waba_id: str) -> list[dict]:
    """What the sandbox lists for any WhatsApp Business Account, in Meta's listing shape."""
    base = int(hashlib.sha256(waba_id.encode()).hexdigest()[:8], 16)
    return [
        {
            "id": str(base + 1),
            "name": "pedido_enviado",
            "language": "pt_BR",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}", "example": {"header_text": ["#4521"]}},
                {
                    "type": "BODY",
                    "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega e chega em {{3}}.",
                    "example": {"body_text": [["Maria", "#4521", "2 dias"]]},
                },
                {"type": "FOOTER", "text": "Loja Demo"},
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {"type": "URL", "text": "Rastrear", "url": "https://loja.example.com/rastreio/{{1}}"},
                        {"type": "QUICK_REPLY", "text": "Falar com atendente"},
                    ],
                },
            ],
        },
        {
            "id": str(base + 2),
            "name": "boas_vindas",
            "language": "pt_BR",
            "status": "APPROVED",
            "category": "MARKETING",
            "components": [
                {
                    "type": "BODY",
                    "text": "Oi {{first_name}}! Posso ajudar com algo hoje?",
                    "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]},
                },
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": "Sim"}, {"type": "QUICK_REPLY", "text": "Não"}],
                },
            ],
        },
        {
            "id": str(base + 3),
            "name": "order_update",
            "language": "en_US",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}],
        },
        {
            "id": str(base + 4),
            "name": "promo_natal",
            "language": "pt_BR",
            "status": "PAUSED",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Natal com 20% de desconto!"}],
        },
        {
            "id": str(base + 5),
            "name": "cupom_relampago",
            "language": "pt_BR",
            "status": "REJECTED",
            "category": "MARKETING",
            "rejected_reason": "PROMOTIONAL",
            "components": [{"type": "BODY", "text": "Use o cupom {{1}}!"}],
        },
    ]


# --- the Graph stand-in -------------------------------------------------------------------------
def graph_error(status: int, code: int, message: str, details: str = "", type_: str = "OAuthException") -> Reply:
    error = {
        "message": f"(#{code}) {message}",
        "type": type_,
        "code": code,
        "fbtrace_id": "Sandbox" + secrets.token_hex(6),
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Reply(status, {"error": error})


class GraphSandbox:
    def __init__(
        self,
        *,
        numbers: Callable[[], Iterable[Number]],
        media=None,
        base_url: str = "",
        templates: Callable[[str], list[dict]] = demo_templates,
    ):
        self._numbers = numbers
        self.media = media or MemoryMediaStore()
        self.base_url = base_url.rstrip("/")
        self.templates = templates
        self.script: list[Scripted] = []
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()

    # helpers
    def _number(self, *, phone_number_id: str = "", waba_id: str = "") -> Number | None:
        for number in self._numbers():
            if (phone_number_id and number.phone_number_id == phone_number_id) or (
                waba_id and number.waba_id == waba_id
            ):
                return number
        return None

    @staticmethod
    def _authorised(number: Number | None, headers: dict) -> bool:
        given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        return number is not None and signing.matches(f"Bearer {number.access_token}", given)

    @staticmethod
    def _bad_token() -> Reply:
        return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")

    def handle(
        self, method: str, path: str, *, query: dict, headers: dict, body: object = None, form=None, files=None
    ) -> tuple[Reply, list[Webhook]]:
        """Answer one request. Returns the reply and the webhooks Meta would post afterwards."""
        with self.lock:
            self.requests.append(
                Recorded(method, path, dict(headers), body, dict(form or {}), dict(files or {}), dict(query))
            )
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 2 and parts[0] == "download" and method == "GET":
            return self._download(parts[1], headers), []
        if not parts or not VERSION_RE.match(parts[0]):
            return graph_error(400, 2500, "Unknown path components: /" + "/".join(parts), type_="IGApiException"), []
        parts = parts[1:]
        if method == "POST" and len(parts) == 2 and parts[1] == "messages":
            return self._messages(parts[0], headers, body)
        if method == "POST" and len(parts) == 2 and parts[1] == "media":
            return self._upload(parts[0], headers, form or {}, files or {}), []
        if method == "GET" and len(parts) == 2 and parts[1] == "message_templates":
            return self._templates(parts[0], headers, query), []
        if method == "GET" and len(parts) == 1:
            number = self._number(phone_number_id=parts[0])
            if number is not None:
                if not self._authorised(number, headers):
                    return self._bad_token(), []
                return Reply(
                    200,
                    {
                        "display_phone_number": number.display_phone_number,
                        "verified_name": number.verified_name,
                        "quality_rating": "GREEN",
                        "id": number.phone_number_id,
                    },
                ), []
            return self._media_url(parts[0], headers), []
        return graph_error(
            400, 100, "Unsupported request", f"{method} /{'/'.join(parts)} is not part of the sandbox"
        ), []

    def _messages(self, phone_number_id: str, headers: dict, body) -> tuple[Reply, list[Webhook]]:
        number = self._number(phone_number_id=phone_number_id)
        if number is None:
            return graph_error(
                400,
                100,
                "Invalid parameter",
                f"Object with ID '{phone_number_id}' does not exist",
                type_="GraphMethodException",
            ), []
        if not self._authorised(number, headers):
            return self._bad_token(), []
        if not isinstance(body, dict):
            return graph_error(400, 100, "Invalid parameter", "The request body must be JSON."), []
        if body.get("messaging_product") != "whatsapp":
            return graph_error(400, 100, "Invalid parameter", "The parameter messaging_product is required."), []
        if body.get("status") == "read":
            if not str(body.get("message_id") or "").startswith("wamid."):
                return graph_error(400, 131009, "Parameter value is not valid", "Invalid message_id."), []
            return Reply(200, {"success": True}), []
        problem = _check_message(body, self, number)
        if problem is not None:
            return problem, []
        with self.lock:
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None and scripted.http_status:
            return graph_error(scripted.http_status, scripted.code, scripted.title, scripted.details), []
        recipient = str(body["to"])
        wamid = simulator.new_wamid()
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": recipient, "wa_id": simulator.wa_id(recipient)}],
            "messages": [{"id": wamid, **({"message_status": "accepted"} if body.get("type") == "template" else {})}],
        }
        failure = scripted
        if failure is None and simulator.wa_id(recipient).endswith("1047"):
            failure = Scripted(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied "
                "to this number.",
            )
        elif failure is None and simulator.wa_id(recipient).endswith("1026"):
            failure = Scripted(131026, "Message undeliverable", "Unable to deliver message.")
        states = (
            [("failed", [simulator.error(failure.code, failure.title, failure.details)])]
            if failure
            else [
                ("sent", None),
                ("delivered", None),
                ("read", None),
            ]
        )
        webhooks = [
            Webhook(
                number,
                simulator.encode(
                    simulator.status_webhook(
                        number.business, wamid=wamid, status=state, recipient=recipient, errors=errors
                    )
                ),
            )
            for state, errors in states
        ]
        return Reply(200, answer), webhooks

    def _upload(self, phone_number_id: str, headers: dict, form: dict, files: dict) -> Reply:
        number = self._number(phone_number_id=phone_number_id)
        if not self._authorised(number, headers):
            return self._bad_token()
        if form.get("messaging_product") != "whatsapp" or "file" not in files:
            return graph_error(400, 100, "Invalid parameter", "Upload needs messaging_product=whatsapp and a file.")
        _filename, data, content_type = files["file"]
        mime = form.get("type") or content_type or "application/octet-stream"
        return Reply(200, {"id": self.media.put(data, mime, number.phone_number_id)})

    def _media_url(self, media_id: str, headers: dict) -> Reply:
        found = self.media.get(media_id)
        if found is None:
            return graph_error(
                400,
                100,
                "Invalid parameter",
                f"Unsupported get request. Object with ID '{media_id}' does not exist",
                type_="GraphMethodException",
            )
        data, mime, owner = found
        if not self._authorised(self._number(phone_number_id=owner), headers):
            return self._bad_token()
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": str(len(data)),
                "id": media_id,
            },
        )

    def _download(self, media_id: str, headers: dict) -> Reply:
        found = self.media.get(media_id)
        if found is None:
            return Reply(404, b"Not found", "text/plain")
        data, mime, owner = found
        if not self._authorised(self._number(phone_number_id=owner), headers):
            return Reply(401, b"Unauthorized", "text/plain")  # Meta's CDN does not answer JSON either
        return Reply(200, data, mime)

    def _templates(self, waba_id: str, headers: dict, query: dict) -> Reply:
        number = self._number(waba_id=waba_id)
        if number is None:
            return graph_error(
                400,
                100,
                "Invalid parameter",
                f"Object with ID '{waba_id}' does not exist",
                type_="GraphMethodException",
            )
        if not self._authorised(number, headers):
            return self._bad_token()
        items = self.templates(waba_id)
        limit = max(1, min(int(query.get("limit") or 25), 100))
        start = int(query.get("after") or 0) if str(query.get("after") or "0").isdigit() else 0
        page = items[start : start + limit]
        answer: dict = {"data": page, "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}}}
        if start + len(page) < len(items):
            answer["paging"]["next"] = f"{self.base_url}/{waba_id}/message_templates?after={start + len(page)}"
        return Reply(200, answer)


def _check_message(body: dict, sandbox: GraphSandbox, number: Number) -> Reply | None:
    """The validation Meta does synchronously, with its codes."""
    if not body.get("to"):
        return graph_error(400, 100, "Invalid parameter", "The parameter to is required.")
    kind = body.get("type", "text")
    item = body.get(kind)
    if kind not in (
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "interactive",
        "template",
        "reaction",
        "location",
        "contacts",
    ):
        return graph_error(400, 131009, "Parameter value is not valid", f"Unknown message type {kind}.")
    if not isinstance(item, dict):
        return graph_error(400, 131008, "Required parameter is missing", f"The parameter {kind} is required.")
    if kind == "text" and not (isinstance(item.get("body"), str) and 0 < len(item["body"]) <= 4096):
        return graph_error(400, 100, "Invalid parameter", "text.body must be 1 to 4096 characters.")
    if kind in ("image", "audio", "video", "document", "sticker"):
        if bool(item.get("id")) == bool(item.get("link")):
            return graph_error(400, 131009, "Parameter value is not valid", "Give the media's id or its link.")
        if item.get("id") and sandbox.media.get(str(item["id"])) is None:
            return graph_error(400, 131053, "Media upload error", "Media id not found.")
    if kind == "interactive":
        action = item.get("action") or {}
        if item.get("type") == "button" and not 1 <= len(action.get("buttons") or []) <= 3:
            return graph_error(400, 131009, "Parameter value is not valid", "Buttons count should be between 1 and 3.")
        if item.get("type") == "list" and sum(len(s.get("rows") or []) for s in action.get("sections") or []) > 10:
            return graph_error(
                400, 131009, "Parameter value is not valid", "Total row count exceed max allowed count: 10"
            )
    if kind == "template":
        return _check_template(body, sandbox.templates(number.waba_id))
    return None


def _check_template(body: dict, templates: list[dict]) -> Reply | None:
    from channels_app.providers.whatsapp import templating

    template = body["template"]
    language = (template.get("language") or {}).get("code")
    known = [t for t in templates if t["name"] == template.get("name")]
    match = next((t for t in known if t["language"] == language), None)
    if match is None:
        return graph_error(
            404 if not known else 400,
            132001,
            "Template name does not exist in the translation",
            f"template name ({template.get('name')}) does not exist in {language}",
        )
    if match["status"] == "PAUSED":
        return graph_error(400, 132015, "Template is Paused", "Template is paused due to low quality.")
    if match["status"] != "APPROVED":
        return graph_error(400, 132001, "Template name does not exist in the translation", "Template is not approved.")
    sent = {c.get("type"): c for c in template.get("components") or [] if isinstance(c, dict)}
    for kind in ("header", "body"):
        definition = next((c for c in match["components"] if c["type"] == kind.upper()), None)
        expected = len(templating.placeholders(str((definition or {}).get("text") or "")))
        given = len((sent.get(kind) or {}).get("parameters") or [])
        if expected != given:
            return graph_error(
                400,
                132000,
                "Number of parameters does not match the expected number of params",
                f"{kind}: number of localizable_params ({given}) does not match the expected number of params "
                f"({expected})",
            )
    return None


# --- the transports -----------------------------------------------------------------------------
def _multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    """(form fields, files) of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, data, part.get_content_type())
        else:
            form[name] = data.decode()
    return form, files


class SandboxServer:
    """GraphSandbox over real HTTP on 127.0.0.1 and a free port. Status callbacks go to `outbox`
    (the test posts them through the webhook view), or to `on_webhooks` when set, which runs
    before the send is answered, as when Meta's statuses beat its own HTTP answer."""

    def __init__(self, numbers: list[Number], **kwargs):
        self.numbers = numbers
        self.outbox: list[Webhook] = []
        self.on_webhooks: Callable[[list[Webhook]], None] | None = None
        self.sandbox = GraphSandbox(numbers=lambda: self.numbers, **kwargs)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method):
                split = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                body, form, files = None, {}, {}
                if content_type.startswith("multipart/form-data"):
                    form, files = _multipart(content_type, raw)
                elif raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        body = raw
                reply, webhooks = server.sandbox.handle(
                    method,
                    split.path,
                    query=dict(parse_qsl(split.query)),
                    headers=dict(self.headers),
                    body=body,
                    form=form,
                    files=files,
                )
                if webhooks:
                    if server.on_webhooks is not None:
                        server.on_webhooks(webhooks)
                    else:
                        server.outbox.extend(webhooks)
                content = reply.content()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.sandbox.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def sent(self) -> list[Recorded]:
        """The message sends received (mark-as-read calls excluded)."""
        return [
            r
            for r in self.sandbox.requests
            if r.method == "POST"
            and r.path.endswith("/messages")
            and isinstance(r.json, dict)
            and r.json.get("status") != "read"
        ]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- product mode: sandbox channels of this installation ---------------------------------------
def channel_numbers() -> list[Number]:
    """The active sandbox WhatsApp channels, as numbers the sandbox serves."""
    from channels_app.models import Channel
    from channels_app.registry import adapter_for

    numbers = []
    for channel in Channel.objects.filter(kind="whatsapp", is_active=True, settings__sandbox=True):
        app_secret, _token = adapter_for(channel).webhook_secrets()
        numbers.append(
            Number(
                phone_number_id=str(channel.settings.get("phone_number_id") or ""),
                display_phone_number=str(channel.settings.get("display_phone_number") or ""),
                waba_id=str(channel.settings.get("waba_id") or ""),
                access_token=channel.credentials.get("access_token", ""),
                app_secret=app_secret,
                verified_name=channel.name,
                channel_id=channel.pk,
            )
        )
    return numbers


def product_sandbox() -> GraphSandbox:
    from channels_app.providers.whatsapp.graph import sandbox_base_url

    return GraphSandbox(numbers=channel_numbers, media=StorageMediaStore(), base_url=sandbox_base_url())


def post_signed(channel, body: bytes, *, operation: str):
    """POST a webhook body to a sandbox channel's webhook URL, signed with its app secret exactly
    as Meta signs, through the one HTTP seam. Returns the response; raises http.TransportError."""
    from channels_app.registry import adapter_for
    from core import http

    app_secret, _token = adapter_for(channel).webhook_secrets()
    return http.request(
        "POST",
        channel.webhook_url,
        provider="whatsapp_sandbox",
        operation=operation,
        channel_id=channel.pk,
        content=body,
        headers={"Content-Type": "application/json", signature.HEADER: signature.sign(app_secret, body)},
        secrets=[app_secret],
    )


def _sandbox_channel(channel_id: int):
    from channels_app.models import Channel

    return Channel.objects.filter(pk=channel_id, kind="whatsapp", settings__sandbox=True).first()


def post_webhooks(*, channel_id: int, bodies: list[str], operation: str = "status_webhook") -> int:
    """Post the sandbox's status callbacks (or the simulator's inbound messages) to a sandbox
    channel's webhook URL, as Meta would. Returns how many were accepted."""
    from core import http

    channel = _sandbox_channel(channel_id)
    if channel is None:
        return 0
    accepted = 0
    for text in bodies:
        try:
            response = post_signed(channel, text.encode(), operation=operation)
        except http.TransportError as exc:
            logger.warning("sandbox could not post a webhook to %s: %s", channel.webhook_url, exc.message)
            continue
        accepted += response.status_code == 200
        time.sleep(0.05)  # keeps sent → delivered → read in order on a multi-worker server
    return accepted
