"""The web chat widget: live chat on any website, served by us (CH-WEB).

Auth: there are no provider webhooks. Visitors are authorised by a signed visitor token and may
only call from our own origin (the chat runs in our iframe, which the browser only shows inside
the widget's allowed sites): see security.py. The visitor endpoints (views.py) record each visitor
message as an InboundEvent built by us, so it travels the same inbound pipeline as any channel:
dedupe by the client-generated message id, contact resolution, conversation, assignment, events.

Outbound: `send()` hands the message to the visitor's live group (every open tab and device of
that visitor) and returns at once; a visitor who is offline gets it from the history endpoint on
their next visit, so nothing is lost. The visitor's browser reports `delivered`/`read` back
through the pipeline as status updates.

Quirks: files a visitor uploads are stored first (checked by content) and fetched by the
pipeline from there (`fetch_attachment`). While the widget's bot is on, new conversations wait
for its hand-off before the assignment rules run (`should_auto_assign`).
"""

import hashlib
import json

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
from channels_app.providers.web_widget import payloads
from conversations import live
from core import realtime

UPLOAD_SCHEME = "widget-upload:"


class WebWidgetAdapter(ChannelAdapter):
    kind = "web_widget"
    label = gettext_lazy("Web chat widget")
    medium = "web_widget"
    identity_medium = "web"
    sendable_content_types = frozenset({"text", "image", "audio", "video", "file", "interactive"})
    setup_form = "channels_app.providers.web_widget.forms.WebWidgetForm"
    instructions_template = "web_widget/instructions.html"

    # --- inbound -----------------------------------------------------------------------------
    def verify(self, request) -> None:
        # Visitor messages never arrive as webhooks: our own views record them.
        raise SignatureInvalid("the web widget takes no webhooks")

    def dedupe_key(self, body: bytes, headers: dict) -> str:
        data = _load(body)
        if data["type"] == "message":
            return f"msg:{_provider_id(data)}"
        ids = ",".join(sorted(data["message_ids"]))
        return f"receipt:{data['state']}:{hashlib.sha256(ids.encode()).hexdigest()}"

    def parse(self, body: bytes, headers: dict):
        data = _load(body)
        if data["type"] == "receipt":
            return [StatusUpdate(state=data["state"], message_uuid=uuid) for uuid in data["message_ids"]]
        visitor = data["visitor"]
        attachments = tuple(
            RemoteAttachment(name=u["name"], content_type=u["content_type"], url=UPLOAD_SCHEME + u["id"])
            for u in data.get("uploads", [])
        )
        text = data.get("text", "")
        payload = {k: data[k] for k in ("button", "lang", "profile", "page") if data.get(k)}
        return [
            InboundMessage(
                provider_message_id=_provider_id(data),
                # No e-mail or phone here: what a visitor says about themselves must not join them
                # to another person's contact (services.visitor_profile_save fills the profile).
                sender=Sender(medium=self.identity_medium, address=visitor["address"], name=visitor.get("name", "")),
                content=text,
                content_type="text" if text or not attachments else _kind_of(attachments[0].content_type),
                payload=payload,
                attachments=attachments,
            )
        ]

    def fetch_attachment(self, remote: RemoteAttachment) -> bytes:
        from channels_app.providers.web_widget.models import VisitorUpload

        upload = VisitorUpload.objects.filter(uuid=remote.url.removeprefix(UPLOAD_SCHEME), channel=self.channel).first()
        if upload is None:
            raise ChannelError(_("The file is no longer available."), permanent=True)
        with upload.file.open("rb") as handle:
            return handle.read()

    def should_auto_assign(self, *, conversation, message, created: bool, reopened: bool) -> bool:
        if not self.channel.settings.get("bot_enabled"):
            return super().should_auto_assign(
                conversation=conversation, message=message, created=created, reopened=reopened
            )
        from channels_app.providers.web_widget.models import BotState

        state = (
            BotState.objects.filter(conversation_id=conversation.pk)
            .values("handed_off_at", "handoff_message_id")
            .first()
        )
        if state is None or state["handed_off_at"] is None:
            return False  # the bot is still talking to the visitor
        if state["handoff_message_id"] == message.pk:
            return conversation.assignee_id is None  # handed off just now: route it
        return super().should_auto_assign(
            conversation=conversation, message=message, created=created, reopened=reopened
        )

    # --- outbound ----------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        realtime.broadcast(
            [live.visitor_group(message.recipient)],
            {"type": "widget.message", "message": payloads.outbound_for_visitor(message)},
        )
        return SendResult(provider_message_id="")

    def check(self) -> CheckResult:
        sites = self.channel.settings.get("allowed_domains", "").strip()
        if not sites:
            return CheckResult(ok=False, detail=_("No allowed sites: the widget only works on the demo page."))
        return CheckResult(ok=True, detail=_("The widget may be embedded on: %(sites)s") % {"sites": sites})


def _load(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") not in ("message", "receipt"):
        raise BadPayload("a widget event is a message or a receipt")
    if data["type"] == "message" and not (isinstance(data.get("visitor"), dict) and data.get("client_id")):
        raise BadPayload("a widget message needs its visitor and client id")
    if data["type"] == "receipt" and not (isinstance(data.get("message_ids"), list) and data.get("state")):
        raise BadPayload("a receipt needs message ids and a state")
    return data


def _provider_id(data: dict) -> str:
    # Client-generated ids are only unique per visitor: qualify them with the visitor's key.
    return f"{data['visitor']['key']}:{data['client_id']}"[:255]


def _kind_of(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "file")
