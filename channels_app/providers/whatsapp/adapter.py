"""WhatsApp Business Cloud API (Meta Graph API) channel.

Auth: outbound calls carry `Authorization: Bearer <access token>` (a System User token with
`whatsapp_business_messaging`, plus `whatsapp_business_management` for templates). Inbound
webhooks are signed `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with the
App Secret>`; Meta's GET handshake echoes `hub.challenge` when `hub.verify_token` matches. The
app secret and verify token are the channel's own, or those of the shared MetaApp it names (one
Meta app, one callback URL for many numbers: see webhooks.py).

Docs followed (Meta developer documentation, checked where marked in docs/channels/whatsapp.md):
Cloud API messages (text, media, interactive, template, mark as read), webhooks (messages and
statuses, X-Hub-Signature-256), media (retrieve URL → download with the token, upload), message
templates of a WABA, error codes.

Quirks:
- the wa_id is digits without "+", and Brazilian numbers often come without the mobile ninth
  digit: we store the normalised E.164 number and send to the wa_id exactly as Meta spelled it;
- inbound media arrive as ids: resolve to a URL valid for 5 minutes, download it with the token;
- a `read` status can come without `delivered`, and statuses can beat the send call's answer;
- many send failures (131047 above all) arrive only as a `failed` status after a 200;
- one Meta app's callback URL gets every number's events: changes are filtered (per-channel URL)
  or routed (app-level URL) by `metadata.phone_number_id`;
- no idempotency key: a send retried after a timeout may reach the customer twice.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_app.adapters import (
    ChannelAdapter,
    ChannelError,
    CheckResult,
    OutboundDraft,
    OutboundMessage,
    RemoteAttachment,
    SendResult,
    SignatureInvalid,
)
from channels_app.providers.whatsapp import graph, outbound, parsing, signature
from contacts import identities

WINDOW = timedelta(hours=24)


class WhatsAppAdapter(ChannelAdapter):
    kind = "whatsapp"
    label = gettext_lazy("WhatsApp")
    medium = "whatsapp"
    identity_medium = "whatsapp"
    sendable_content_types = frozenset({"text", "image", "audio", "video", "file", "interactive", "template"})
    max_attachment_bytes = outbound.DOCUMENT_LIMIT
    max_attachments_per_message = 1  # Meta has no multi-file message: one file, one wamid
    setup_form = "channels_app.providers.whatsapp.forms.WhatsAppChannelForm"
    instructions_template = "whatsapp/instructions.html"
    marks_read = True
    console_template_url = "console:whatsapp-template"
    console_start_url = "console:whatsapp-new"

    # --- configuration -------------------------------------------------------------------------
    def own_addresses(self) -> frozenset[str]:
        """The display number in E.164. Stored normalised; one saved before numbers were checked
        may be digits without "+" (as Meta writes it), so it is read as written and as
        international."""
        raw = str(self.channel.settings.get("display_phone_number") or "").strip()
        digits = "".join(ch for ch in raw if ch.isdigit())
        readings = [raw] + ([f"+{digits}"] if digits and not raw.startswith(("+", "0")) else [])
        numbers = set()
        for reading in filter(None, readings):
            try:
                numbers.add(identities.normalize_phone(reading))
            except identities.InvalidAddress:
                continue
        return frozenset(numbers)

    @property
    def phone_number_id(self) -> str:
        return str(self.channel.settings.get("phone_number_id") or "")

    @property
    def waba_id(self) -> str:
        return str(self.channel.settings.get("waba_id") or "")

    def webhook_secrets(self) -> tuple[str, str]:
        """(app secret, verify token): the channel's own, else its Meta app's."""
        from channels_app.providers.whatsapp.selectors import meta_app_get_for_webhook

        credentials = self.channel.credentials
        app_secret, verify_token = credentials.get("app_secret", ""), credentials.get("verify_token", "")
        if not (app_secret and verify_token) and self.channel.settings.get("meta_app"):
            app = meta_app_get_for_webhook(uuid=self.channel.settings["meta_app"])
            if app is not None:
                app_secret = app_secret or app.credentials.get("app_secret", "")
                verify_token = verify_token or app.credentials.get("verify_token", "")
        return app_secret, verify_token

    # --- inbound -------------------------------------------------------------------------------
    def handshake(self, request):
        from django.http import HttpResponse

        answer = signature.handshake_answer(request.GET, self.webhook_secrets()[1]) if request.method == "GET" else None
        if answer is None:
            return None
        status, text = answer
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")

    def verify(self, request) -> None:
        if not signature.is_valid(self.webhook_secrets()[0], request.body, request.headers.get(signature.HEADER)):
            raise SignatureInvalid("X-Hub-Signature-256 missing or not matching the app secret")

    def dedupe_key(self, body: bytes, headers: dict) -> str:
        return parsing.dedupe_key(body)

    def parse(self, body: bytes, headers: dict):
        return parsing.parse(body, phone_number_id=self.phone_number_id, waba_id=self.waba_id)

    @classmethod
    def route(cls, *, body: bytes, endpoint: str) -> list[tuple[dict, bytes]]:
        """Split an app-level delivery per phone number (or WABA, for account events) and say
        which channel each part belongs to: one of this Meta app's channels."""
        app_uuid = endpoint.removeprefix("whatsapp-app:")
        return [
            ({f"settings__{key}": value, "settings__meta_app": app_uuid}, part)
            for lookup, part in parsing.split_by_number(body)
            for key, value in lookup.items()
        ]

    def apply(self, item) -> None:
        from channels_app.providers.whatsapp import services

        if isinstance(item, parsing.TemplateStatusChange):
            services.template_status_apply(change=item)
            return
        super().apply(item)

    def fetch_attachment(self, remote: RemoteAttachment) -> bytes:
        """Inbound media: `GET /{media-id}` gives a short-lived URL, downloaded with the token."""
        if not remote.url.startswith(parsing.MEDIA_REF_PREFIX):
            return super().fetch_attachment(remote)
        media_id = remote.url.removeprefix(parsing.MEDIA_REF_PREFIX)
        info = graph.json_of(graph.call(self.channel, "GET", media_id, operation="media_url"))
        if not info.get("url"):
            raise ChannelError(_("WhatsApp gave no download address for this file."), permanent=True)
        # The URL comes from Meta's authenticated answer (lookaside.fbsbx.com), and Meta requires
        # the same bearer token on it.
        response = graph.call(self.channel, "GET", "", url=str(info["url"]), operation="media_download")
        if len(response.content) > self.max_attachment_bytes:
            raise ChannelError(_("The file is larger than this channel accepts."), permanent=True)
        return response.content

    # --- outbound ------------------------------------------------------------------------------
    def refuse_reason(self, *, content_type: str, last_inbound_at) -> str:
        reason = super().refuse_reason(content_type=content_type, last_inbound_at=last_inbound_at)
        if reason or content_type == "template":
            return reason
        if last_inbound_at is None:
            return _("This customer has not written on WhatsApp yet: start with an approved template.")
        if timezone.now() - last_inbound_at >= WINDOW:
            return _("More than 24 hours since the customer last wrote: send an approved template.")
        return ""

    def validate_draft(self, draft: OutboundDraft) -> OutboundDraft:
        """The window and capabilities (refuse_reason), then templates (approved, parameters
        that fit) or what the send would refuse anyway: see drafts.py."""
        from channels_app.providers.whatsapp import drafts

        draft = super().validate_draft(draft)
        if draft.content_type == "template":
            return drafts.template_draft(self.channel, draft)
        drafts.check_expressible(draft)
        return draft

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.recipient:
            raise ChannelError(_("This contact has no WhatsApp number."), permanent=True)
        # The send path splits files one per message (max_attachments_per_message); this guards
        # against a message stored some other way.
        if len(message.attachments) > 1:
            raise ChannelError(_("WhatsApp carries one file per message: send the files one by one."), permanent=True)
        try:
            if message.attachments:
                attachment = message.attachments[0]
                kind = outbound.media_kind(attachment)
                outbound.message_body(message, media={}, media_type=kind)  # refuse before uploading
                body = outbound.message_body(message, media=self._media(attachment, message.uuid), media_type=kind)
            else:
                body = outbound.message_body(message)
        except outbound.Invalid as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        response = graph.call(
            self.channel,
            "POST",
            f"{self.phone_number_id}/messages",
            operation="send_message",
            reference=message.uuid,
            json=body,
        )
        messages = graph.json_of(response).get("messages") or []
        if not messages or not isinstance(messages[0], dict) or not messages[0].get("id"):
            raise ChannelError(_("WhatsApp accepted the message but returned no message id."))
        return SendResult(provider_message_id=str(messages[0]["id"]))

    def _media(self, attachment, reference: str) -> dict:
        """Upload the file through the media endpoint (ids last 30 days), or, for channels set
        to send by link, give Meta our signed, expiring URL to fetch."""
        if self.channel.settings.get("media_by_link"):
            return {"link": attachment.url}
        response = graph.call(
            self.channel,
            "POST",
            f"{self.phone_number_id}/media",
            operation="upload_media",
            reference=reference,
            data={"messaging_product": "whatsapp", "type": attachment.content_type},
            files={"file": (attachment.name, attachment.read(), attachment.content_type)},
        )
        media_id = graph.json_of(response).get("id")
        if not media_id:
            raise ChannelError(_("WhatsApp did not return an id for the uploaded file."))
        return {"id": str(media_id)}

    def mark_read(self, *, provider_message_id: str) -> None:
        """Blue ticks on the customer's phone (Meta also marks the earlier messages read)."""
        graph.call(
            self.channel,
            "POST",
            f"{self.phone_number_id}/messages",
            operation="mark_read",
            json=outbound.mark_read_body(provider_message_id),
        )

    def check(self) -> CheckResult:
        """`GET /{phone-number-id}`: proves the token, the number id and Graph reachability at once.
        Raises ChannelError (reconnect=True for token problems) like send()."""
        response = graph.call(
            self.channel,
            "GET",
            self.phone_number_id,
            operation="check",
            params={"fields": "display_phone_number,verified_name,quality_rating"},
        )
        info = graph.json_of(response)
        return CheckResult(
            ok=True,
            detail=_("Connected to %(number)s (%(name)s), quality rating %(quality)s.")
            % {
                "number": info.get("display_phone_number") or self.phone_number_id,
                "name": info.get("verified_name") or "?",
                "quality": info.get("quality_rating") or "?",
            },
        )

    def list_templates(self) -> list[dict]:
        """Every template of the channel's WABA, following Meta's cursor paging."""
        templates: list[dict] = []
        params = {"fields": "name,status,category,language,components,rejected_reason", "limit": 100}
        for _page in range(50):  # 5,000 templates: far beyond Meta's per-WABA cap
            data = graph.json_of(
                graph.call(
                    self.channel, "GET", f"{self.waba_id}/message_templates", operation="list_templates", params=params
                )
            )
            templates += [t for t in data.get("data") or [] if isinstance(t, dict)]
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": after}
        return templates
