"""The contract every channel provider implements, and the normalised shapes that cross it.

Providers translate; they don't decide. An adapter turns provider payloads into the dataclasses
below and our messages into provider calls. Dedupe, contact matching, routing and status
bookkeeping live in the shared services (channels_app.services, conversations.services).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from channels_app.models import Channel


class ChannelError(Exception):
    """The only exception an adapter raises from `send()` and `check()`.

    permanent=True: retrying cannot help (bad recipient, closed window); the message fails with
    `message` as the reason shown to the agent. reconnect=True additionally flags the channel
    "reconnect needed" (revoked or expired credentials). Otherwise: transient, retried with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False, reconnect: bool = False, code: str = ""):
        super().__init__(message)
        self.message = message
        self.permanent = permanent or reconnect
        self.reconnect = reconnect
        self.code = code


class SignatureInvalid(Exception):
    """Missing or wrong webhook signature: answered 401, nothing stored."""


class BadPayload(Exception):
    """Authentic but malformed: answered 400 with `reason`, nothing stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sender:
    medium: str  # ContactIdentity.Medium
    address: str  # as the provider spells it; normalised by contacts.identities
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class RemoteAttachment:
    name: str
    content_type: str = ""
    url: str = ""  # fetched by the pipeline through core.http (with `headers`)
    headers: dict = field(default_factory=dict)
    data: bytes | None = None  # or the bytes themselves (e-mail parts)


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    sender: Sender
    content: str = ""
    content_type: str = "text"
    payload: dict = field(default_factory=dict)
    timestamp: datetime | None = None
    attachments: tuple[RemoteAttachment, ...] = ()
    reply_to_provider_id: str = ""
    subject: str = ""
    thread_refs: tuple[str, ...] = ()  # provider ids this message answers (e-mail References)
    # Conversation UUID found in a token we put on our outbound messages (e-mail Message-ID):
    # threads the message when none of `thread_refs` is known.
    conversation_hint: str = ""
    # Sent by a machine (auto-reply, out-of-office, bounce, list mail): stored and shown, but it
    # never reopens a conversation, starts a waiting time, triggers assignment or gets an
    # automatic answer.
    automated: bool = False


@dataclass(frozen=True)
class StatusUpdate:
    state: str  # sent | delivered | read | failed
    provider_message_id: str = ""
    message_uuid: str = ""  # when the provider echoes our own id back
    error: str = ""
    error_code: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class ProfileUpdate:
    """A provider told us the contact's name or other profile facts, without a message."""

    sender: Sender


InboundItem = InboundMessage | StatusUpdate | ProfileUpdate


@dataclass(frozen=True)
class OutboundAttachment:
    name: str
    content_type: str
    size: int
    url: str  # signed, expiring, reachable by the provider
    read: Callable[[], bytes]


@dataclass(frozen=True)
class OutboundMessage:
    uuid: str
    conversation_uuid: str
    idempotency_key: str  # stable across retries of one send attempt series
    recipient: str  # the contact's address on this channel's medium, as the provider spells it
    recipient_name: str
    content: str
    content_type: str
    payload: dict
    attachments: tuple[OutboundAttachment, ...] = ()
    reply_to_provider_id: str = ""
    sender_name: str = ""
    subject: str = ""
    thread_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftFile:
    """A file of an outgoing message before it is stored (its bytes stay with the caller)."""

    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class OutboundDraft:
    """One outgoing message as `conversations.services.message_send` checks it, before any row is
    written: what the agent, the API client or the bot asked to send, and the customer's window."""

    content: str
    content_type: str
    payload: dict
    files: tuple[DraftFile, ...] = ()
    last_inbound_at: datetime | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    state: str = "sent"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = ""


class ChannelAdapter:
    kind: ClassVar[str]
    label: ClassVar[str]
    medium: ClassVar[str]  # public `channel` value in payloads: whatsapp, sms, email, ...
    identity_medium: ClassVar[str]  # ContactIdentity.Medium of the people it talks to
    sendable_content_types: ClassVar[frozenset[str]] = frozenset({"text"})
    max_attachment_bytes: ClassVar[int] = 25 * 1024 * 1024
    # Files one provider message can carry (None: no limit). The shared send path sends the files
    # of a longer draft as consecutive messages, so each gets its own provider id and status.
    max_attachments_per_message: ClassVar[int | None] = None
    setup_form: ClassVar[str] = ""  # dotted path of its ChannelSetupForm (channels_app.forms)
    # Threaded media (e-mail): OutboundMessage.thread_refs carries the provider ids of the
    # conversation's messages, oldest first, so a reply can name what it answers.
    threaded: ClassVar[bool] = False
    # Template of the setup instructions shown after saving (callback URL, tokens to paste).
    instructions_template: ClassVar[str] = ""
    # Whether the provider shows the customer that an agent read their messages (mark_read).
    marks_read: ClassVar[bool] = False
    # Console pages of the provider package that the generic console links to (URL names in the
    # `console:` namespace): a message-template picker for a conversation (its uuid as argument),
    # shown in the composer, and starting a conversation with a template (`?contact=<uuid>`),
    # linked from contact pages. Empty: the provider has no such page.
    console_template_url: ClassVar[str] = ""
    console_start_url: ClassVar[str] = ""

    def __init__(self, channel: "Channel"):
        self.channel = channel

    # --- inbound -----------------------------------------------------------------------------
    def handshake(self, request: "HttpRequest") -> "HttpResponse | None":
        """Answer a provider's verification request (Meta hub.challenge, ...); None if not one."""
        return None

    def verify(self, request: "HttpRequest") -> None:
        """Raise SignatureInvalid unless the request is authentic. Reads headers and raw body only."""
        raise NotImplementedError

    def dedupe_key(self, body: bytes, headers: dict) -> str:
        """A key that is equal for two deliveries of the same webhook. Raise BadPayload when the
        body is malformed. The default hashes the body."""
        import hashlib

        return "sha256:" + hashlib.sha256(body).hexdigest()

    def parse(self, body: bytes, headers: dict) -> list[InboundItem]:
        """Provider payload in, normalised items out. Pure: no database access."""
        raise NotImplementedError

    @classmethod
    def route(cls, *, body: bytes, endpoint: str) -> list[tuple[dict, bytes]]:
        """For app-level webhooks (one URL for many channels, stored with no channel): split the
        body into per-channel parts, each with the Channel lookup (e.g.
        `{"settings__phone_number_id": "..."}`) that finds its channel. Pure."""
        raise NotImplementedError

    def apply(self, item) -> None:
        """Apply a provider-specific item that parse() returned (beyond messages, statuses and
        profiles), inside the event's transaction, by calling the provider package's services."""
        raise TypeError(f"{type(item).__name__} is not an item the {self.kind} adapter applies")

    def fetch_attachment(self, remote: RemoteAttachment) -> bytes:
        """Download an inbound file. The default GETs `remote.url` with `remote.headers`, refusing
        private addresses (the URL came from outside); providers whose media needs an API call
        first override this. Raises ChannelError (permanent when the file is gone or too big)."""
        from django.utils.translation import gettext

        from core import http

        try:
            response = http.request(
                "GET",
                remote.url,
                provider=self.kind,
                operation="download_media",
                channel_id=self.channel.pk,
                headers=remote.headers,
                guard_ssrf=True,
                secrets=[v for v in remote.headers.values() if isinstance(v, str)],
            )
        except http.TransportError as exc:
            raise ChannelError(gettext("Could not download the file: %(error)s") % {"error": exc.message}) from exc
        except ValueError as exc:  # netguard.UnsafeURL
            raise ChannelError(str(exc), permanent=True) from exc
        if response.status_code >= 400:
            raise ChannelError(
                gettext("Downloading the file failed with status %(code)s.") % {"code": response.status_code},
                permanent=400 <= response.status_code < 500 and response.status_code not in (408, 429),
            )
        if len(response.content) > self.max_attachment_bytes:
            raise ChannelError(gettext("The file is larger than this channel accepts."), permanent=True)
        return response.content

    def should_auto_assign(self, *, conversation, message, created: bool, reopened: bool) -> bool:
        """Whether the assignment rules run after this customer message. By default: for a new
        conversation, and for a reopened one that nobody holds. A channel with a bot in front
        (the web widget) keeps new conversations away from agents until the bot hands over."""
        return created or (reopened and conversation.assignee_id is None)

    def own_addresses(self) -> frozenset[str]:
        """The channel's own addresses on its medium, normalised as identities are (a WhatsApp
        number in E.164): nobody starts a conversation with the channel itself."""
        return frozenset()

    # --- outbound ----------------------------------------------------------------------------
    def refuse_reason(self, *, content_type: str, last_inbound_at: datetime | None) -> str:
        """Why this channel's rules forbid sending this now (e.g. a closed 24-hour window); "" if allowed."""
        if content_type not in self.sendable_content_types:
            from django.utils.translation import gettext

            return gettext("This channel cannot send %(type)s messages.") % {"type": content_type}
        return ""

    def validate_draft(self, draft: OutboundDraft) -> OutboundDraft:
        """The channel's rules on one outgoing message, applied by the shared send path before
        anything is stored, whichever interface sends it (console, API, bot): raise
        core.exceptions.PolicyViolation with a reason the sender can act on. Returns the draft as
        it must be stored; a provider may complete it (WhatsApp fills a template's components and
        preview in). Pure apart from reading the provider package's own records. The default
        applies `refuse_reason`."""
        from core.exceptions import PolicyViolation

        reason = self.refuse_reason(content_type=draft.content_type, last_inbound_at=draft.last_inbound_at)
        if reason:
            raise PolicyViolation(reason)
        return draft

    def send(self, message: OutboundMessage) -> SendResult:
        raise NotImplementedError

    def mark_read(self, *, provider_message_id: str) -> None:
        """Tell the provider an agent read the customer's messages up to this one (only called
        when `marks_read`). Raises ChannelError."""

    def check(self) -> CheckResult:
        """A cheap authenticated call for the status panel."""
        return CheckResult(ok=True)
