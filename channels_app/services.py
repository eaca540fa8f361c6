"""The inbound and outbound pipelines (DESIGN.md, mechanisms 2 and 3).

Inbound: the webhook view verifies and calls `inbound_event_record` (raw row, then 200);
`inbound_drain` claims batches of due events and applies each in one transaction, so an event is
applied exactly once or not at all, and retried with backoff until it is.

Outbound: `conversations.services.message_send` stores a `queued` message; `outbound_drain`
claims batches of due messages, calls the adapter outside any transaction, and records the
result. Retries reuse the message's idempotency key, so a provider that honours it (and every
`api`-channel receiver) never sees one message twice.
"""

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import fields, is_dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app import registry, selectors
from channels_app.adapters import (
    ChannelError,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    ProfileUpdate,
    StatusUpdate,
)
from channels_app.models import Channel, InboundEvent, PendingStatus
from contacts.services import contact_resolve
from conversations import services as conversation_services
from conversations.attachments import StoredFile, prepare_file, signed_url
from conversations.models import Message
from core import claims, db, events, tasks
from core.exceptions import PolicyViolation

logger = logging.getLogger(__name__)

# A drain task stops after this long and queues its successor: django-q2 kills tasks that run
# past its timeout, and a killed task's claimed rows would wait for their lease to end.
DRAIN_SECONDS = 50
INBOUND_MAX_ATTEMPTS = 12  # ~1.5 days of backoff before an event is parked as failed
OUTBOUND_MAX_ATTEMPTS = 8
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-hub-signature-256",
    "x-signature-256",
    "x-twilio-signature",
    "x-amz-sns-message-type",
    "x-plivo-signature-v3",
    "x-plivo-signature-v3-nonce",
)


def kept_headers(request) -> dict:
    """The request headers worth keeping with a raw event (for audit and re-parsing)."""
    return {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}


# --- inbound ----------------------------------------------------------------------------------
def inbound_event_record(
    *, channel: Channel | None, kind: str, endpoint: str, dedupe_key: str, body: bytes, headers: dict
) -> None:
    """Store a verified raw webhook (a duplicate delivery is silently absorbed) and ask for a
    drain. After this returns the event cannot be lost: answer the provider 200.

    A body larger than INBOUND_INLINE_BODY_MAX_BYTES (a fetched mail with attachments) goes to
    file storage and the row points at it."""
    if len(body) > settings.INBOUND_INLINE_BODY_MAX_BYTES:
        if InboundEvent.objects.filter(endpoint=endpoint, dedupe_key=dedupe_key[:200]).exists():
            return  # a re-fetch of what we have: do not even write the file
        event = InboundEvent(
            channel=channel, kind=kind, endpoint=endpoint, dedupe_key=dedupe_key[:200], body=b"", headers=headers
        )
        event.body_file.save("raw.bin", ContentFile(body), save=False)
        if not db.insert_unless_conflict(event, conflict_fields=("endpoint", "dedupe_key")):
            event.body_file.delete(save=False)  # a concurrent fetch stored it first
        tasks.kick("inbound")
        return
    # The hottest write in the product: one INSERT ... ON CONFLICT DO NOTHING, no ORM compile.
    table = InboundEvent._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (channel_id, kind, endpoint, dedupe_key, body, headers, status, attempts,"  # noqa: S608
            " next_attempt_at, last_error, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, '', %s)"
            " ON CONFLICT (endpoint, dedupe_key) DO NOTHING",
            [
                channel.pk if channel else None,
                kind,
                endpoint,
                dedupe_key[:200],
                body,
                json.dumps(headers),
                InboundEvent.Status.PENDING,
                now,
                now,
            ],
        )
    tasks.kick("inbound")


def inbound_drain() -> int:
    """Process due inbound events in batches until none is left. Returns how many were applied."""
    tasks.drain_started("inbound")
    deadline = time.monotonic() + DRAIN_SECONDS
    due = claims.due_or_expired(
        pending_status=InboundEvent.Status.PENDING, claimed_status=InboundEvent.Status.PROCESSING
    )
    with _commits_without_waiting_for_disk():
        return _drain_inbound(due=due, deadline=deadline)


def _drain_inbound(*, due, deadline: float) -> int:
    done = 0
    while True:
        ids = claims.claim_batch(
            InboundEvent.objects.all(),
            due=due,
            claimed_status=InboundEvent.Status.PROCESSING,
            limit=settings.INBOUND_BATCH_SIZE,
            lease_seconds=settings.WORK_LEASE_SECONDS,
        )
        if not ids:
            return done
        if time.monotonic() > deadline:
            claims.release(InboundEvent, ids, InboundEvent.Status.PENDING)
            tasks.kick_now("inbound")  # hand the rest to a fresh task before the broker's timeout
            return done
        if len(ids) == settings.INBOUND_BATCH_SIZE:
            # A full batch means a backlog: ask for another drain so a second worker joins in.
            tasks.kick_now("inbound")
        done += _apply_batch(list(InboundEvent.objects.filter(id__in=ids).select_related("channel").order_by("id")))


def _apply_batch(events: list[InboundEvent]) -> int:
    """Apply claimed events: the common case (a plain message from a known contact to an open
    conversation) for the whole batch in one transaction, everything else one event at a time.
    If the batch transaction fails, its events take the one-at-a-time path, which records
    errors per event. Returns how many events were applied."""
    common, rest = [], []
    for event in events:
        simple = _simple_message(event)
        (common if simple else rest).append((event, simple))
    done = 0
    if common:
        try:
            with transaction.atomic():
                outcomes = conversation_services.messages_receive_known(items=[simple for _event, simple in common])
                handled = [
                    event.pk for (event, _simple), outcome in zip(common, outcomes, strict=True) if outcome is not None
                ]
                InboundEvent.objects.filter(pk__in=handled).update(
                    status=InboundEvent.Status.PROCESSED, processed_at=timezone.now(), last_error="", lease_until=None
                )
            done += len(handled)
            rest += [pair for pair, outcome in zip(common, outcomes, strict=True) if outcome is None]
        except Exception:
            logger.warning("batch apply failed; applying its %s events one by one", len(common), exc_info=True)
            rest += common
    for event, _simple in sorted(rest, key=lambda pair: pair[0].pk):
        done += inbound_event_process(event=event)
    return done


def _simple_message(event: InboundEvent) -> tuple[Channel, InboundMessage] | None:
    """The event's one message, if it can take the batch path: a per-channel webhook carrying
    exactly one plain message, on a channel whose rules need nothing special per message."""
    from channels_app.adapters import ChannelAdapter

    if event.channel_id is None or event.status != InboundEvent.Status.PROCESSING:
        return None
    try:
        adapter = registry.adapter_for(event.channel)
        if adapter.threaded or type(adapter).should_auto_assign is not ChannelAdapter.should_auto_assign:
            return None
        items = parse_clean(adapter, event.raw_body(), event.headers)
    except Exception:
        return None  # the one-at-a-time path records the error
    if len(items) != 1 or type(items[0]) is not InboundMessage or items[0].attachments:
        return None
    return event.channel, items[0]


def parse_clean(adapter, body: bytes, headers: dict) -> list:
    """`adapter.parse()`, with NUL characters taken out of what it read. PostgreSQL text and
    jsonb cannot hold U+0000: a message carrying one (a buggy client, pasted binary, a mail part
    in UTF-16) is stored without it instead of failing on every retry and being parked."""
    return [_without_nul(item) for item in adapter.parse(body, headers)]


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        cleaned = {_without_nul(k): _without_nul(v) for k, v in value.items()}
        return value if cleaned == value else cleaned
    if isinstance(value, list | tuple):
        cleaned = type(value)(_without_nul(v) for v in value)
        return value if cleaned == value else cleaned
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in fields(value):
            if field.init and (new := _without_nul(old := getattr(value, field.name))) is not old:
                changes[field.name] = new
        return replace(value, **changes) if changes else value
    return value


def inbound_event_process(*, event: InboundEvent) -> bool:
    """Apply one claimed event: parse, download media, then every item in one transaction.

    On any error the transaction rolls back, the error is kept on the row and the event is due
    again after a backoff; after INBOUND_MAX_ATTEMPTS it is parked as `failed` (visible in
    monitoring, re-runnable from the admin)."""
    try:
        items = []
        for channel, body in _channel_parts(event):
            adapter = registry.adapter_for(channel)
            items += [
                (adapter, *(_download_all(adapter, item) if isinstance(item, InboundMessage) else (item, [])))
                for item in parse_clean(adapter, body, event.headers)
            ]
        with transaction.atomic():
            for adapter, item, files in items:
                _apply(adapter, item, files)
            InboundEvent.objects.filter(pk=event.pk).update(
                status=InboundEvent.Status.PROCESSED, processed_at=timezone.now(), last_error="", lease_until=None
            )
        return True
    except Exception as exc:
        logger.warning("inbound event %s failed (attempt %s): %r", event.pk, event.attempts, exc)
        _inbound_failed(event, exc)
        return False


def _channel_parts(event: InboundEvent) -> list[tuple[Channel, bytes]]:
    """The channel(s) an event belongs to, with the body each one parses. A per-channel webhook
    names its channel; an app-level one (one URL for many channels, e.g. one Meta app serving
    many WhatsApp numbers) is split by the adapter and each part routed by a lookup. Parts for
    channels we do not know are acknowledged and logged, not errors."""
    raw = event.raw_body()
    if event.channel_id is not None:
        return [(event.channel, raw)]
    parts = []
    for lookup, body in registry.adapter_class(event.kind).route(body=raw, endpoint=event.endpoint):
        channel = Channel.objects.filter(kind=event.kind, is_active=True, **lookup).order_by("id").first()
        if channel is None:
            logger.info("inbound event %s: no active %s channel matches %s; acknowledged", event.pk, event.kind, lookup)
            continue
        parts.append((channel, body))
    return parts


@contextmanager
def _commits_without_waiting_for_disk():
    """Applying events need not wait for each commit to reach the disk: the raw event was
    committed durably when it arrived, so if a crash loses an apply's commit the event is still
    not `processed` and is applied again (idempotently) when its lease ends."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if postgres:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
            except Exception:  # a broken connection is discarded anyway
                logger.debug("could not reset synchronous_commit", exc_info=True)


def _apply(adapter, item, files: list[StoredFile]) -> None:
    channel = adapter.channel
    if isinstance(item, InboundMessage):
        conversation_services.message_receive(channel=channel, item=item, files=files)
    elif isinstance(item, StatusUpdate):
        conversation_services.message_status_apply(channel=channel, update=item)
    elif isinstance(item, ProfileUpdate):
        contact_resolve(
            medium=item.sender.medium,
            address=item.sender.address,
            name=item.sender.name,
            email=item.sender.email,
            phone=item.sender.phone,
        )
    else:
        adapter.apply(item)  # provider-specific (e.g. a WhatsApp template approved or paused)


def _download_all(adapter, item: InboundMessage) -> tuple[InboundMessage, list[StoredFile]]:
    """Fetch the message's files before the transaction. A file that can never be fetched (gone,
    too large) is named on the message instead; a transient failure raises, and the event is
    retried."""
    files, missing = [], []
    for remote in item.attachments:
        try:
            data = remote.data if remote.data is not None else adapter.fetch_attachment(remote)
            files.append(
                prepare_file(
                    name=remote.name,
                    data=data,
                    declared_type=remote.content_type,
                    max_bytes=adapter.max_attachment_bytes,
                )
            )
        except ChannelError as exc:
            if not exc.permanent:
                raise
            missing.append({"name": remote.name, "reason": exc.message})
        except PolicyViolation as exc:
            missing.append({"name": remote.name, "reason": exc.message})
    if missing:
        item = replace(item, payload={**item.payload, "missing_attachments": missing})
    return item, files


def _inbound_failed(event: InboundEvent, exc: Exception) -> None:
    attempts = event.attempts or 1
    final = attempts >= INBOUND_MAX_ATTEMPTS
    InboundEvent.objects.filter(pk=event.pk).update(
        status=InboundEvent.Status.FAILED if final else InboundEvent.Status.PENDING,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=timezone.now() + claims.backoff(attempts),
        lease_until=None,
    )


@transaction.atomic
def inbound_event_requeue(*, event: InboundEvent) -> None:
    """Run a failed event again now (admin action)."""
    InboundEvent.objects.filter(pk=event.pk).update(
        status=InboundEvent.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    tasks.kick("inbound")


# --- outbound ---------------------------------------------------------------------------------
def outbound_drain() -> int:
    """Send due queued messages in batches until none is left. Returns how many were sent."""
    tasks.drain_started("outbound")
    deadline = time.monotonic() + DRAIN_SECONDS
    sent = 0
    due = claims.due_or_expired(pending_status=Message.Status.QUEUED, claimed_status=Message.Status.SENDING)
    while True:
        ids = claims.claim_batch(
            Message.objects.filter(direction=Message.Direction.OUTBOUND),
            due=due,
            claimed_status=Message.Status.SENDING,
            limit=settings.OUTBOUND_BATCH_SIZE,
            lease_seconds=settings.WORK_LEASE_SECONDS,
            order_by=("next_attempt_at", "id"),
        )
        if not ids:
            return sent
        if time.monotonic() > deadline:
            claims.release(Message, ids, Message.Status.QUEUED)
            tasks.kick_now("outbound")
            return sent
        if len(ids) == settings.OUTBOUND_BATCH_SIZE:
            tasks.kick_now("outbound")
        batch = (
            Message.objects.filter(id__in=ids)
            .select_related("channel", "conversation__contact", "conversation__channel", "sender_user", "in_reply_to")
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        )
        for message in batch:
            sent += message_deliver(message=message)


def message_deliver(*, message: Message) -> bool:
    """One send attempt of a claimed message. Never raises."""
    try:
        adapter = registry.adapter_for(message.channel)
        result = adapter.send(_outbound(message, threaded=adapter.threaded))
    except ChannelError as exc:
        _send_failed(message, exc)
        return False
    except Exception as exc:  # a bug must not lose the message: retry, and say so
        logger.exception("sending message %s failed unexpectedly", message.uuid)
        _send_failed(
            message, ChannelError(_("Internal error while sending: %(error)s") % {"error": type(exc).__name__})
        )
        return False
    conversation_services.message_mark_sent(message=message, result=result)
    if message.channel.status != Channel.Status.OK:
        channel_set_status(channel=message.channel, status=Channel.Status.OK, error="")
    return True


def _send_failed(message: Message, exc: ChannelError) -> None:
    final = exc.permanent or message.attempts >= OUTBOUND_MAX_ATTEMPTS
    if final:
        conversation_services.message_mark_send_failed(
            message=message, reason=exc.message, code=exc.code, retry_at=None
        )
    else:
        conversation_services.message_mark_send_failed(
            message=message,
            reason=_("Will retry: %(error)s") % {"error": exc.message},
            retry_at=timezone.now() + claims.backoff(message.attempts),
        )
    if exc.reconnect:
        channel_set_status(channel=message.channel, status=Channel.Status.NEEDS_RECONNECT, error=exc.message)


THREAD_REFS_KEPT = 20


def _thread_refs(message: Message) -> tuple[str, ...]:
    """Provider ids of the conversation's earlier messages in the order we got them (a sender's
    Date header may be off): the first one (the thread's root) and the latest ones, as e-mail
    References are usually trimmed."""
    ids = list(
        Message.objects.filter(conversation_id=message.conversation_id, id__lt=message.pk)
        .exclude(provider_message_id="")
        .filter(private=False)
        .order_by("id")
        .values_list("provider_message_id", flat=True)
    )
    if len(ids) > THREAD_REFS_KEPT:
        ids = ids[:1] + ids[-(THREAD_REFS_KEPT - 1) :]
    return tuple(ids)


def _outbound(message: Message, *, threaded: bool = False) -> OutboundMessage:
    conversation = message.conversation
    identity = conversation_services.recipient_identity(conversation)
    return OutboundMessage(
        uuid=str(message.uuid),
        conversation_uuid=str(conversation.uuid),
        idempotency_key=f"msg_{message.uuid.hex}" + (f"_{message.send_series}" if message.send_series else ""),
        recipient=identity.send_address if identity else "",
        recipient_name=conversation.contact.name,
        content=message.content,
        content_type=message.content_type,
        payload=message.payload,
        attachments=tuple(
            OutboundAttachment(
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                url=signed_url(a, user_id=None, absolute=True, ttl=24 * 3600),
                read=_reader(a),
            )
            for a in message.attachments.all()
        ),
        reply_to_provider_id=message.in_reply_to.provider_message_id if message.in_reply_to else "",
        sender_name=message.sender_user.display_name if message.sender_user else "",
        subject=conversation.subject,
        thread_refs=_thread_refs(message) if threaded else (),
    )


def _reader(attachment):
    def read() -> bytes:
        with attachment.file.open("rb") as handle:
            return handle.read()

    return read


# --- read receipts ----------------------------------------------------------------------------
def conversation_read_receipt_send(*, conversation_id: int) -> bool:
    """Tell the customer's provider that an agent read their messages (WhatsApp's blue ticks),
    for channels whose adapter `marks_read`. Queued by conversations.services.conversation_mark_read;
    losing one only costs a tick. Returns whether the provider was told."""
    message = (
        Message.objects.filter(conversation_id=conversation_id, direction=Message.Direction.INBOUND)
        .exclude(provider_message_id="")
        .select_related("channel")
        .order_by("-created_at", "-id")
        .first()
    )
    if message is None or not registry.adapter_class(message.channel.kind).marks_read:
        return False
    try:
        registry.adapter_for(message.channel).mark_read(provider_message_id=message.provider_message_id)
    except ChannelError as exc:
        logger.info("read receipt for conversation %s not sent: %s", conversation_id, exc.message)
        if exc.reconnect:
            channel_set_status(channel=message.channel, status=Channel.Status.NEEDS_RECONNECT, error=exc.message)
        return False
    return True


# --- channel setup ----------------------------------------------------------------------------
@transaction.atomic
def channel_create(*, kind: str, name: str, settings: dict, credentials: dict) -> Channel:
    """Create a channel from a validated setup form's data (channels_app.forms)."""
    registry.adapter_class(kind)  # LookupError for an unknown kind
    return Channel.objects.create(kind=kind, name=name, settings=settings, credentials=credentials)


@transaction.atomic
def channel_update(*, channel: Channel, name: str, settings: dict, credentials: dict, **fields) -> Channel:
    """Update a channel's configuration (credentials replaced only with what the form kept)."""
    channel.name = name
    channel.settings = settings
    channel.credentials = credentials
    for key, value in fields.items():
        setattr(channel, key, value)
    channel.save()
    selectors.webhook_cache_clear()
    return channel


# --- channel health ---------------------------------------------------------------------------
@transaction.atomic
def channel_set_status(*, channel: Channel, status: str, error: str) -> None:
    """Record a channel's health (connected, failing, reconnect needed). Publishes
    `channel.status_changed` when it changes."""
    previous = channel.status
    now = timezone.now()
    fields = {"status": status}
    if error:
        fields.update(last_error=error[:2000], last_error_at=now)
    Channel.objects.filter(pk=channel.pk).update(**fields)
    channel.status = status
    if previous != status:
        events.publish(
            events.CHANNEL_STATUS_CHANGED,
            channel_id=str(channel.uuid),
            channel_pk=channel.pk,
            status=status,
            previous_status=previous,
            error=error[:500],
        )


def prune_processed_events(*, older_than_days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED, processed_at__lt=cutoff)
    for event in old.exclude(body_file="").exclude(body_file__isnull=True).only("id", "body_file"):
        event.body_file.delete(save=False)
    deleted, _counts = old.delete()
    return deleted


# A status waits as PendingStatus for the few seconds between Meta's webhook and the answer of
# our send call. Rows older than this belong to messages not sent through us (the business app
# on the same number, another tool): nothing will ever claim them.
PENDING_STATUS_MAX_AGE = timedelta(hours=24)


def pending_statuses_prune(*, older_than: timedelta = PENDING_STATUS_MAX_AGE) -> int:
    """Delete statuses no send of ours claimed in time (scheduled daily). Returns how many."""
    deleted, _counts = PendingStatus.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def channel_check(*, channel: Channel):
    """Run the adapter's connection check and record the channel's health from it."""
    from channels_app.adapters import CheckResult

    try:
        result = registry.adapter_for(channel).check()
    except ChannelError as exc:
        status = Channel.Status.NEEDS_RECONNECT if exc.reconnect else Channel.Status.ERROR
        channel_set_status(channel=channel, status=status, error=exc.message)
        return CheckResult(ok=False, detail=exc.message)
    if result.ok and channel.status != Channel.Status.OK:
        channel_set_status(channel=channel, status=Channel.Status.OK, error="")
    elif not result.ok:
        channel_set_status(channel=channel, status=Channel.Status.ERROR, error=result.detail)
    return result
