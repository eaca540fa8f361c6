"""The `api` channel: our own contract for custom integrations (like Chatwoot's API inbox).

Inbound: `POST <channel webhook URL>` with a JSON message or status update, signed with
`X-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the channel secret>`.
Outbound: each message is POSTed as JSON to the channel's `callback_url`, signed with Standard
Webhooks headers (core.signing) keyed with the same secret; `webhook-id` is stable across retries
so the receiver can drop duplicates. 2xx (optionally `{"id": "<their id>"}`) marks it sent; 4xx
fails it with the answer's text; 5xx and timeouts are retried. The callback URL passes the SSRF
guard. The full contract is in docs/channels/api.md.
"""

import json
import time
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_app.adapters import (
    BadPayload,
    ChannelAdapter,
    ChannelError,
    CheckResult,
    InboundMessage,
    OutboundMessage,
    RemoteAttachment,
    Sender,
    SendResult,
    SignatureInvalid,
    StatusUpdate,
)
from channels_app.providers.api import sandbox
from core import http, netguard, signing

STATES = ("sent", "delivered", "read", "failed")
SIGNATURE_HEADER = "X-Signature-256"


class ApiChannelAdapter(ChannelAdapter):
    kind = "api"
    label = gettext_lazy("API")
    medium = "api"
    identity_medium = "api"
    sendable_content_types = frozenset({"text", "image", "audio", "video", "file", "interactive"})
    setup_form = "channels_app.providers.api.forms.ApiChannelForm"
    instructions_template = "channels_app/providers/api/instructions.html"

    @property
    def secret(self) -> str:
        return self.channel.credentials.get("secret", "")

    # --- inbound -----------------------------------------------------------------------------
    def verify(self, request) -> None:
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not self.secret or not given.startswith("sha256="):
            raise SignatureInvalid("missing X-Signature-256")
        expected = "sha256=" + signing.hmac_sha256_hex(self.secret, request.body)
        if not signing.matches(expected, given):
            raise SignatureInvalid("X-Signature-256 does not match the body")

    def dedupe_key(self, body: bytes, headers: dict) -> str:
        data = _load(body)
        if "status" in data:
            status = _status(data)
            ref = status.get("message_id") or status.get("id")
            return f"status:{ref}:{status['state']}"
        return f"msg:{_message(data)['id']}"

    def parse(self, body: bytes, headers: dict):
        data = _load(body)
        if "status" in data:
            status = _status(data)
            return [
                StatusUpdate(
                    state=status["state"],
                    message_uuid=str(status.get("message_id") or ""),
                    provider_message_id=str(status.get("id") or ""),
                    error=str(status.get("error") or "")[:1000],
                    timestamp=_timestamp(status.get("timestamp")),
                )
            ]
        message = _message(data)
        sender = message["from"]
        attachments = tuple(
            RemoteAttachment(
                url=item["url"],
                name=str(item.get("name") or item["url"].rstrip("/").rsplit("/", 1)[-1] or "file")[:255],
                content_type=str(item.get("content_type") or ""),
            )
            for item in message.get("attachments") or []
        )
        return [
            InboundMessage(
                provider_message_id=str(message["id"]),
                sender=Sender(
                    medium=self.identity_medium,
                    address=f"{self.channel.uuid}:{sender['id']}",
                    name=str(sender.get("name") or "")[:255],
                    email=str(sender.get("email") or ""),
                    phone=str(sender.get("phone") or ""),
                ),
                content=str(message.get("text") or ""),
                content_type="text" if message.get("text") or not attachments else _kind_of(attachments[0]),
                timestamp=_timestamp(message.get("timestamp")),
                attachments=attachments,
            )
        ]

    # --- outbound ----------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        if self.channel.settings.get("sandbox"):
            return sandbox.deliver(message)
        url = self.channel.settings.get("callback_url", "")
        if not url:
            raise ChannelError(_("This API channel has no callback URL: set one in its settings."), permanent=True)
        body = json.dumps(
            {
                "type": "message",
                "message_id": message.uuid,
                "conversation_id": message.conversation_uuid,
                "recipient": {"id": message.recipient.split(":", 1)[-1], "name": message.recipient_name},
                "sender": {"name": message.sender_name},
                "content": message.content,
                "content_type": message.content_type,
                "payload": message.payload,
                "attachments": [
                    {"url": a.url, "name": a.name, "content_type": a.content_type, "size": a.size}
                    for a in message.attachments
                ],
                "timestamp": int(time.time()),
            },
            separators=(",", ":"),
        ).encode()
        try:
            response = http.request(
                "POST",
                url,
                provider="api",
                operation="send_message",
                channel_id=self.channel.pk,
                reference=message.uuid,
                content=body,
                headers=signing.signed_headers(self.secret, message.idempotency_key, body),
                guard_ssrf=True,
                secrets=[self.secret],
            )
        except netguard.UnsafeURL as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        except http.TransportError as exc:
            raise ChannelError(_("The callback URL did not answer: %(error)s") % {"error": exc.message}) from exc
        if 200 <= response.status_code < 300:
            return SendResult(provider_message_id=_their_id(response))
        reason = response.text.strip()[:500] or response.reason_phrase
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise ChannelError(
                _("The callback URL answered %(code)s: %(reason)s") % {"code": response.status_code, "reason": reason}
            )
        raise ChannelError(
            _("The callback URL refused the message (%(code)s): %(reason)s")
            % {"code": response.status_code, "reason": reason},
            permanent=True,
            code=str(response.status_code),
        )

    def check(self) -> CheckResult:
        if self.channel.settings.get("sandbox"):
            # Outgoing messages never leave the product: there is nothing to reach, and a
            # sandbox channel without a callback URL is working as intended.
            return CheckResult(ok=True, detail=_("Sandbox: outgoing messages are accepted inside the product."))
        url = self.channel.settings.get("callback_url", "")
        if not url:
            return CheckResult(ok=False, detail=_("No callback URL configured."))
        try:
            netguard.check_url(url)
        except netguard.UnsafeURL as exc:
            return CheckResult(ok=False, detail=str(exc))
        return CheckResult(ok=True, detail=_("Callback URL accepted."))


def _load(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadPayload("The body must be a JSON object.")
    return data


def _status(data: dict) -> dict:
    status = data["status"]
    if not isinstance(status, dict):
        raise BadPayload("`status` must be an object.")
    if not (status.get("message_id") or status.get("id")):
        raise BadPayload("`status` needs `message_id` (our message UUID) or `id` (the id your callback returned).")
    if status.get("state") not in STATES:
        raise BadPayload(f"`status.state` must be one of {', '.join(STATES)}.")
    if status.get("message_id"):
        import uuid

        try:
            uuid.UUID(str(status["message_id"]))
        except ValueError as exc:
            raise BadPayload("`status.message_id` must be a UUID.") from exc
    return status


def _message(data: dict) -> dict:
    if not isinstance(data.get("id"), str | int) or str(data.get("id")).strip() == "":
        raise BadPayload("`id` (your message id) is required and must be a string.")
    if len(str(data["id"])) > 200:
        raise BadPayload("`id` must be at most 200 characters.")
    sender = data.get("from")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), str | int) or str(sender["id"]).strip() == "":
        raise BadPayload("`from.id` (the sender's id in your system) is required.")
    if len(str(sender["id"])) > 200:
        raise BadPayload("`from.id` must be at most 200 characters.")
    for key in ("name", "phone", "email"):
        if sender.get(key) is not None and not isinstance(sender[key], str):
            raise BadPayload(f"`from.{key}` must be a string.")
    text = data.get("text")
    if text is not None and not isinstance(text, str):
        raise BadPayload("`text` must be a string.")
    attachments = data.get("attachments") or []
    if not isinstance(attachments, list) or any(
        not isinstance(a, dict) or not str(a.get("url", "")).startswith(("http://", "https://")) for a in attachments
    ):
        raise BadPayload("`attachments` must be a list of objects with an http(s) `url`.")
    if not (text or "").strip() and not attachments:
        raise BadPayload("A message needs `text` or `attachments`.")
    if data.get("timestamp") is not None:
        _timestamp(data["timestamp"], strict=True)
    return data


def _timestamp(value, *, strict: bool = False) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        if strict:
            raise BadPayload("`timestamp` must be ISO 8601, e.g. 2026-06-28T15:30:45Z.") from exc
        return None
    if parsed.tzinfo is None:
        if strict:
            raise BadPayload("`timestamp` must include a time zone, e.g. 2026-06-28T15:30:45Z.")
        return None
    return parsed


def _kind_of(attachment: RemoteAttachment) -> str:
    major = attachment.content_type.split("/", 1)[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "file")


def _their_id(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("id"), str | int):
        return str(data["id"])[:255]
    return ""
