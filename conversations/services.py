"""Writes for conversations and messages. Every change to them goes through here.

Services run inside a transaction (they open one when called outside), publish domain events
through core.events, and never call a provider: sending is queued (status `queued`) and done by
the outbound drain in channels_app.services.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from channels_app.adapters import DraftFile, InboundMessage, OutboundDraft, SendResult, StatusUpdate
from channels_app.models import Channel, PendingStatus
from contacts import identities
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_resolve, identity_attach
from conversations import activity, assignment
from conversations.attachments import StoredFile, attachment_create
from conversations.models import Conversation, Message
from core import events, tasks
from core.db import insert_many_unless_conflict, insert_unless_conflict
from core.exceptions import Conflict, PolicyViolation

PREVIEW_LENGTH = 160
# The predicate of the partial unique index message_provider_id_unique, as Django writes it
# (SQLite matches ON CONFLICT targets to partial indexes by this exact expression).
PROVIDER_ID_PRESENT = """NOT ("provider_message_id" = '')"""
# Forward-only delivery states: a status may only replace one of lower rank.
RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENDING: 1,
    Message.Status.SENT: 2,
    Message.Status.DELIVERED: 3,
    Message.Status.READ: 4,
}
STATE_EVENT = {
    Message.Status.SENT: events.MESSAGE_SENT,
    Message.Status.DELIVERED: events.MESSAGE_DELIVERED,
    Message.Status.READ: events.MESSAGE_READ,
    Message.Status.FAILED: events.MESSAGE_FAILED,
}
STATE_TIMESTAMP = {
    Message.Status.SENT: "sent_at",
    Message.Status.DELIVERED: "delivered_at",
    Message.Status.READ: "read_at",
    Message.Status.FAILED: "failed_at",
}
# A provider's `failed` ends the attempt unless the message already reached the customer.
FAILABLE = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT)


def _facts(conversation: Conversation, **extra) -> dict:
    return {
        "conversation_id": str(conversation.uuid),
        "conversation_pk": conversation.pk,
        "channel_id": str(conversation.channel.uuid),
        "channel_pk": conversation.channel_id,
        "assignee_pk": conversation.assignee_id,
        **extra,
    }


def _message_facts(message: Message, **extra) -> dict:
    return _facts(message.conversation, message_id=str(message.uuid), message_pk=message.pk, **extra)


def preview_of(content: str, content_type: str, attachment_names: list[str] = ()) -> str:
    text = " ".join((content or "").split())
    if not text and attachment_names:
        text = "📎 " + ", ".join(attachment_names)
    if not text:
        text = dict(Message.ContentType.choices).get(content_type, content_type)
    return str(text)[:PREVIEW_LENGTH]


# --- inbound ----------------------------------------------------------------------------------
@transaction.atomic(savepoint=False)  # hot path: no savepoint when nested in the event's transaction
def message_receive(*, channel: Channel, item: InboundMessage, files: list[StoredFile] = ()) -> Message | None:
    """Record a customer's message: contact, conversation, message, attachments, assignment.

    Duplicates (same channel and provider message id) are no-ops and return None. A new
    conversation is assigned by the channel's rules. Publishes `contact.created`,
    `conversation.created`, `message.received` and `conversation.assigned` as they happen.
    Concurrency: the contact row is locked while its conversation is found or opened, so two
    messages from one new contact processed at once open one conversation.
    """
    resolution = contact_resolve(
        medium=item.sender.medium,
        address=item.sender.address,
        name=item.sender.name,
        email=item.sender.email,
        phone=item.sender.phone,
        lock=True,  # serialise per contact (see docstring)
    )
    contact = resolution.contact
    duplicate = Message.objects.filter(channel=channel, provider_message_id=item.provider_message_id)
    if _threaded(channel) and duplicate.exists():
        # Threaded media open a new conversation for an unthreaded message: check for a
        # duplicate first, or its empty conversation would outlive the dedupe below.
        return None
    now = timezone.now()
    happened_at = _plausible(item.timestamp, now)
    traces = {
        "updated_at": now,
        "last_activity_at": now,
        "last_message_preview": preview_of(item.content, item.content_type, [f.name for f in files]),
    }
    if not item.automated:
        traces["last_inbound_at"] = now
    conversation, created = _conversation_for_inbound(
        channel=channel,
        contact=contact,
        item=item,
        new_contact=resolution.created,
        # A new conversation is born with this message's traces: no UPDATE right after the INSERT.
        initial={**traces, "unread_count": 1, "waiting_since": None if item.automated else happened_at},
    )
    conversation.channel = channel  # already loaded: spare the lookups below
    reply_to = None
    if item.reply_to_provider_id:
        reply_to = Message.objects.filter(channel=channel, provider_message_id=item.reply_to_provider_id).first()
    message = Message(
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.INBOUND,
        sender_type=Message.SenderType.CONTACT,
        content=item.content,
        content_type=item.content_type,
        payload=item.payload,
        provider_message_id=item.provider_message_id,
        in_reply_to=reply_to,
        status=Message.Status.RECEIVED,
        created_at=happened_at,
    )
    # The domain dedupe, in one statement: a message this channel already has is a no-op.
    if not insert_unless_conflict(
        message, conflict_fields=("channel", "provider_message_id"), conflict_where=PROVIDER_ID_PRESENT
    ):
        return None
    for stored in files:
        attachment_create(message=message, stored=stored)

    if not created:
        updates = {**traces, "unread_count": F("unread_count") + 1}
        if not item.automated:
            # A machine's mail (auto-reply, bounce) is shown but wakes nothing: no reopening, no
            # waiting time, no customer-service window.
            updates.update(
                waiting_since=conversation.waiting_since or happened_at,
                status=Conversation.Status.OPEN,
                snoozed_until=None,
                resolved_at=None,
            )
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
    reopened = not created and not item.automated and conversation.status != Conversation.Status.OPEN
    if created:
        events.publish(events.CONVERSATION_CREATED, **_facts(conversation, contact_id=str(contact.uuid)))
    elif reopened:
        events.publish(
            events.CONVERSATION_STATUS_CHANGED,
            **_facts(conversation, previous_status=conversation.status, status=Conversation.Status.OPEN),
        )
    extra = {"automated": True} if item.automated else {}
    events.publish(
        events.MESSAGE_RECEIVED,
        **_message_facts(message, contact_id=str(contact.uuid), contact_name=str(contact.display_name)[:80], **extra),
    )
    from channels_app.registry import adapter_for

    # Auto-replies and list mail never pull an agent in; otherwise the channel decides (a bot
    # in front of the web widget holds new conversations until it hands over).
    if not item.automated and adapter_for(channel).should_auto_assign(
        conversation=conversation, message=message, created=created, reopened=reopened
    ):
        assignment.conversation_auto_assign(conversation=conversation, returning_contact=not resolution.created)
    return message


@transaction.atomic(savepoint=False)
def messages_receive_known(*, items: list[tuple[Channel, InboundMessage]]) -> list[bool | None]:
    """`message_receive` for a batch, for the common case only: a plain message (no files, no
    threading, no reply) from a contact we already know, in a conversation that is open and
    stays open. Returns per item True (stored), False (a duplicate: nothing to do) or None (not
    the common case: give it to `message_receive`). Each stored message has the effects and the
    events `message_receive` would give it; the batch costs a handful of queries instead of ten
    per message, which is what lets a worker keep up with hundreds of messages a second.

    Concurrency: the contacts' rows are locked in id order (so two workers never deadlock) and
    conversations are read after the lock, as `message_receive` does.
    """
    results: list[bool | None] = [None] * len(items)
    keys = [_identity_key(item) for _channel, item in items]
    wanted = {key for key in keys if key is not None}
    if not wanted:
        return results
    query = Q()
    for medium, address in wanted:
        query |= Q(medium=medium, address=address)
    found = {(i.medium, i.address): i for i in ContactIdentity.objects.filter(query).select_related("contact")}
    contact_ids = sorted({identity.contact_id for identity in found.values()})
    if not contact_ids:
        return results
    list(Contact.objects.filter(pk__in=contact_ids).order_by("pk").select_for_update().values_list("pk", flat=True))
    current: dict[tuple[int, int], Conversation] = {}
    for conversation in (
        Conversation.objects.filter(contact_id__in=contact_ids, channel_id__in={channel.pk for channel, _item in items})
        .exclude(status=Conversation.Status.RESOLVED)
        .order_by("last_activity_at", "pk")
    ):
        current[(conversation.channel_id, conversation.contact_id)] = conversation  # the latest wins

    now = timezone.now()
    batch: list[tuple[int, Message, Contact]] = []
    seen: set[tuple[int, str]] = set()
    for index, ((channel, item), key) in enumerate(zip(items, keys, strict=True)):
        identity = found.get(key) if key else None
        if identity is None or _would_update_contact(identity, item):
            continue
        conversation = current.get((channel.pk, identity.contact_id))
        if conversation is None or conversation.status != Conversation.Status.OPEN:
            continue  # a new or reopened conversation: message_receive handles those
        if (channel.pk, item.provider_message_id) in seen:
            results[index] = False
            continue
        seen.add((channel.pk, item.provider_message_id))
        conversation.channel = channel
        message = Message(
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.INBOUND,
            sender_type=Message.SenderType.CONTACT,
            content=item.content,
            content_type=item.content_type,
            payload=item.payload,
            provider_message_id=item.provider_message_id,
            status=Message.Status.RECEIVED,
            created_at=_plausible(item.timestamp, now),
        )
        batch.append((index, message, identity.contact))
        results[index] = False  # until the insert says otherwise: a duplicate of a stored message
    inserted = {
        id(m)
        for m in insert_many_unless_conflict(
            [m for _, m, _ in batch],
            conflict_fields=("channel", "provider_message_id"),
            conflict_where=PROVIDER_ID_PRESENT,
        )
    }
    by_conversation: dict[int, list[Message]] = {}
    for index, message, _contact in batch:
        if id(message) in inserted:
            results[index] = True
            by_conversation.setdefault(message.conversation.pk, []).append(message)
    _conversations_bump(now=now, groups=list(by_conversation.values()))
    for _index, message, contact in batch:
        if id(message) in inserted:
            events.publish(
                events.MESSAGE_RECEIVED,
                **_message_facts(message, contact_id=str(contact.uuid), contact_name=str(contact.display_name)[:80]),
            )
    return results


def _conversations_bump(*, now, groups: list[list[Message]]) -> None:
    """Record new customer messages on their (open) conversations: activity, preview, unread
    count, waiting time. On PostgreSQL one UPDATE ... FROM (VALUES ...) for all of them."""
    if not groups:
        return
    if not settings.IS_POSTGRES:
        for messages in groups:
            conversation, last = messages[0].conversation, messages[-1]
            Conversation.objects.filter(pk=conversation.pk).update(
                updated_at=now,
                last_activity_at=now,
                last_inbound_at=now,
                last_message_preview=preview_of(last.content, last.content_type),
                unread_count=F("unread_count") + len(messages),
                waiting_since=conversation.waiting_since or min(m.created_at for m in messages),
            )
        return
    rows, params = [], []
    for messages in groups:
        last = messages[-1]
        rows.append("(%s::bigint, %s::integer, %s::text, %s::timestamptz)")
        params += [
            messages[0].conversation.pk,
            len(messages),
            preview_of(last.content, last.content_type),
            min(m.created_at for m in messages),
        ]
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET unread_count = c.unread_count + v.n, last_message_preview = v.preview,"  # noqa: S608
            " waiting_since = COALESCE(c.waiting_since, v.first_at), updated_at = %s, last_activity_at = %s,"
            f" last_inbound_at = %s FROM (VALUES {', '.join(rows)}) AS v(id, n, preview, first_at) WHERE c.id = v.id",
            [now, now, now, *params],
        )


def _identity_key(item: InboundMessage) -> tuple[str, str] | None:
    """The identity an item's sender has, if the item qualifies for `messages_receive_known`."""
    if item.attachments or item.thread_refs or item.reply_to_provider_id or item.automated or item.conversation_hint:
        return None
    if not item.provider_message_id:
        return None
    try:
        return item.sender.medium, identities.normalize(item.sender.medium, item.sender.address)
    except identities.InvalidAddress:
        return None


def _would_update_contact(identity: ContactIdentity, item: InboundMessage) -> bool:
    """Whether contact_resolve would write something for this sender (blank profile fields to
    fill, a new provider spelling of the address): then the message takes the full path."""
    sender, contact = item.sender, identity.contact
    spelled = sender.address.strip()
    if spelled != identity.address and spelled != identity.provider_address:
        return True
    return bool(
        (sender.name and not contact.name)
        or (sender.email and not contact.email)
        or (sender.phone and not contact.phone)
    )


def _threaded(channel: Channel) -> bool:
    from channels_app.registry import adapter_class

    return adapter_class(channel.kind).threaded


def _conversation_for_inbound(
    *, channel: Channel, contact: Contact, item: InboundMessage, new_contact: bool = False, initial: dict | None = None
):
    if item.thread_refs or _threaded(channel):
        # E-mail and other threaded media: the conversation of the message this one answers;
        # a message that answers nothing we know starts a new conversation.
        referenced = (
            Message.objects.filter(channel=channel, provider_message_id__in=item.thread_refs)
            .select_related("conversation")
            .order_by("-created_at")
            .first()
            if item.thread_refs
            else None
        )
        if referenced is not None:
            return referenced.conversation, False
        current = None
        if item.conversation_hint:
            # Our token survived where the references did not (a client that trimmed them).
            current = Conversation.objects.filter(channel=channel, uuid=item.conversation_hint).first()
    elif new_contact:
        current = None  # a contact created a moment ago has no conversation to look for
    else:
        current = (
            Conversation.objects.filter(channel=channel, contact=contact)
            .exclude(status=Conversation.Status.RESOLVED)
            .order_by("-last_activity_at")
            .first()
        )
    if current is not None:
        return current, False
    conversation = Conversation.objects.create(
        channel=channel, contact=contact, subject=item.subject[:255], team=channel.assignment_team, **(initial or {})
    )
    return conversation, True


def _plausible(timestamp: datetime | None, now: datetime) -> datetime:
    """Trust the provider's time unless it is in the future or absurdly old."""
    if timestamp is None or timestamp > now or (now - timestamp).days > 30:
        return now
    return timestamp


@transaction.atomic(savepoint=False)  # hot path: no savepoint when nested in the event's transaction
def message_status_apply(*, channel: Channel, update: StatusUpdate) -> bool:
    """Apply a provider's delivery status to one of our outbound messages, forward only.

    sent < delivered < read; `failed` ends the attempt and nothing moves after it except an
    agent's retry. A status for a provider id we have not stored yet (it arrived before the send
    call returned) is kept as PendingStatus and applied by `message_mark_sent`. Returns whether
    anything changed. Publishes `message.<state>`.
    """
    outbound = Message.objects.filter(channel=channel, direction=Message.Direction.OUTBOUND)
    if update.message_uuid:
        message = outbound.filter(uuid=update.message_uuid).select_related("conversation__channel").first()
    else:
        message = (
            outbound.filter(provider_message_id=update.provider_message_id)
            .select_related("conversation__channel")
            .first()
        )
    if message is None:
        if update.provider_message_id:
            PendingStatus.objects.create(
                channel=channel,
                provider_message_id=update.provider_message_id,
                state=update.state,
                error=update.error,
                occurred_at=update.timestamp or timezone.now(),
            )
        return False
    return _advance(message, state=update.state, error=update.error, code=update.error_code, at=update.timestamp)


def _advance(message: Message, *, state: str, error: str = "", code: str = "", at: datetime | None = None) -> bool:
    at = at or timezone.now()
    if state == Message.Status.FAILED:
        changed = Message.objects.filter(pk=message.pk, status__in=FAILABLE).update(
            status=state,
            failed_at=at,
            error_reason=error or _("The provider reported a failure without a reason."),
            error_code=code[:64],
            lease_until=None,
            next_attempt_at=None,
        )
    else:
        lower = [s for s, rank in RANK.items() if rank < RANK[state]]
        changed = Message.objects.filter(pk=message.pk, status__in=lower).update(
            status=state, **{STATE_TIMESTAMP[state]: at}
        )
    if changed:
        events.publish(STATE_EVENT[state], **_message_facts(message, status=state))
    return bool(changed)


# --- outbound ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    content: str = ""
    content_type: str = ""  # "": text, or the first file's kind when only files are sent
    payload: dict | None = None
    files: tuple[StoredFile, ...] = ()
    private: bool = False
    in_reply_to: Message | None = None


FILE_CONTENT_TYPES = {
    "image": Message.ContentType.IMAGE,
    "audio": Message.ContentType.AUDIO,
    "video": Message.ContentType.VIDEO,
}


def file_content_type(mime: str) -> str:
    """The content type of a message that carries a file of this MIME type and no text."""
    return FILE_CONTENT_TYPES.get(mime.split("/", 1)[0], Message.ContentType.FILE)


def _parts(draft: Draft, per_message: int | None) -> list[Draft]:
    """The draft as the messages the channel can carry: the text, payload and quote travel with
    the first files; the rest follow, `per_message` files each (WhatsApp: one), as the customer's
    app would show them anyway: one message, one provider id and one status per file."""
    files = draft.files
    if per_message is None or len(files) <= per_message or draft.private:
        return [draft]
    first = Draft(
        content=draft.content,
        content_type=draft.content_type,
        payload=draft.payload,
        files=files[:per_message],
        in_reply_to=draft.in_reply_to,
    )
    rest = [files[i : i + per_message] for i in range(per_message, len(files), per_message)]
    return [first, *(Draft(content_type=file_content_type(group[0].content_type), files=group) for group in rest)]


def _validated(adapter, draft: Draft, last_inbound_at: datetime | None, files: tuple[DraftFile, ...] = ()) -> Draft:
    """The channel's rules (adapters.ChannelAdapter.validate_draft) on one part; the adapter may
    complete its content and payload (a WhatsApp template's preview and components)."""
    checked = adapter.validate_draft(
        OutboundDraft(
            content=draft.content,
            content_type=draft.content_type,
            payload=dict(draft.payload or {}),
            files=files or tuple(DraftFile(name=f.name, content_type=f.content_type, size=f.size) for f in draft.files),
            last_inbound_at=last_inbound_at,
        )
    )
    return replace(draft, content=checked.content, content_type=checked.content_type, payload=checked.payload)


def message_send(
    *,
    conversation: Conversation,
    draft: Draft,
    sender: User | None,
    sender_type: str = Message.SenderType.AGENT,
) -> Message:
    """`messages_send`, for callers that show one message: the first (it carries the text)."""
    return messages_send(conversation=conversation, draft=draft, sender=sender, sender_type=sender_type)[0]


@transaction.atomic
def messages_send(
    *,
    conversation: Conversation,
    draft: Draft,
    sender: User | None,
    sender_type: str = Message.SenderType.AGENT,
) -> list[Message]:
    """Queue a reply (or store a private note) in a conversation. Returns the messages stored.

    The one send path of every interface (console, API, bots, templates): the channel's rules
    (`validate_draft`: content it can send, customer-service window, template approval and
    parameters, file limits) are checked for every part before anything is written, and a
    refusal raises PolicyViolation with a reason the sender can act on. More files than the
    channel carries per message become consecutive messages (see `_parts`). Messages are stored
    `queued` and the outbound drain sends them after commit. Publishes `message.created` for each.
    """
    from channels_app.registry import adapter_for

    if not draft.content.strip() and not draft.files and not draft.payload:
        raise PolicyViolation(_("Write a message or attach a file."))
    if not draft.content_type:
        only_files = draft.files and not draft.content.strip()
        kind = file_content_type(draft.files[0].content_type) if only_files else Message.ContentType.TEXT
        draft = replace(draft, content_type=kind)
    channel = conversation.channel
    now = timezone.now()
    if draft.private:
        parts, status = [draft], Message.Status.NOTE
    else:
        adapter = adapter_for(channel)
        parts = [
            _validated(adapter, part, conversation.last_inbound_at)
            for part in _parts(draft, adapter.max_attachments_per_message)
        ]
        if recipient_identity(conversation) is None:
            raise PolicyViolation(_("This contact has no address on this channel."))
        status = Message.Status.QUEUED
    messages = []
    for index, part in enumerate(parts):
        # A microsecond apart: lists ordered by time (the API's: created_at, then uuid) keep the parts in order.
        created_at = now + timedelta(microseconds=index)
        message = Message.objects.create(
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            sender_type=sender_type,
            sender_user=sender,
            content=part.content,
            content_type=part.content_type,
            payload=part.payload or {},
            private=part.private,
            in_reply_to=part.in_reply_to,
            status=status,
            queued_at=None if part.private else now,
            next_attempt_at=None if part.private else now,
            created_at=created_at,
        )
        for stored in part.files:
            attachment_create(message=message, stored=stored)
        messages.append(message)
    if not draft.private:
        updates = {
            "updated_at": now,
            "last_activity_at": now,
            "last_message_preview": preview_of(parts[0].content, parts[0].content_type, [f.name for f in draft.files]),
        }
        if sender_type != Message.SenderType.BOT:
            updates["waiting_since"] = None  # a bot's answer does not end the wait for a person
        if sender_type == Message.SenderType.AGENT and conversation.first_reply_at is None:
            updates["first_reply_at"] = now
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        tasks.kick("outbound")
    for message in messages:
        events.publish(events.MESSAGE_CREATED, **_message_facts(message, private=draft.private))
    return messages


def recipient_identity(conversation: Conversation) -> ContactIdentity | None:
    return contact_identity_on(contact_id=conversation.contact_id, channel=conversation.channel)


def contact_identity_on(*, contact_id: int, channel: Channel) -> ContactIdentity | None:
    """The contact's newest address on the channel's medium (where a reply would go)."""
    from channels_app.registry import adapter_class

    medium = adapter_class(channel.kind).identity_medium
    return ContactIdentity.objects.filter(contact_id=contact_id, medium=medium).order_by("-created_at").first()


@transaction.atomic
def message_mark_sent(*, message: Message, result: SendResult) -> bool:
    """The provider accepted a message we were sending. Applies statuses that raced ahead of
    this answer. Publishes `message.sent` (and later states). Returns False if the message was no
    longer ours to update (its lease expired and another worker took it)."""
    now = timezone.now()
    fields = {"status": Message.Status.SENT, "sent_at": now, "error_reason": "", "error_code": "", "lease_until": None}
    fields["provider_message_id"] = result.provider_message_id
    try:
        with transaction.atomic():
            changed = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(**fields)
    except IntegrityError:
        # The provider returned an id we already hold for another message: keep the send, drop the id.
        fields["provider_message_id"] = ""
        changed = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(**fields)
    if not changed:
        return False
    events.publish(events.MESSAGE_SENT, **_message_facts(message, status=Message.Status.SENT))
    if result.state != Message.Status.SENT:
        _advance(message, state=result.state)
    if fields["provider_message_id"]:
        early = PendingStatus.objects.filter(
            channel_id=message.channel_id, provider_message_id=result.provider_message_id
        )
        for pending in sorted(early, key=lambda p: (RANK.get(p.state, 9), p.occurred_at)):
            _advance(message, state=pending.state, error=pending.error, at=pending.occurred_at)
        early.delete()
    return True


@transaction.atomic
def message_mark_send_failed(*, message: Message, reason: str, code: str = "", retry_at: datetime | None) -> None:
    """A send attempt failed. With `retry_at` the message goes back to the queue (the reason is
    shown as the last error); without, it fails for good and `message.failed` is published."""
    if retry_at is not None:
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED, next_attempt_at=retry_at, error_reason=reason, lease_until=None
        )
        return
    _advance(message, state=Message.Status.FAILED, error=reason, code=code)


@transaction.atomic
def message_retry(*, message: Message, by: User | None) -> Message:
    """An agent's explicit retry of a failed message: a new send attempt of the same message."""
    changed = Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
        status=Message.Status.QUEUED,
        attempts=0,
        send_series=F("send_series") + 1,
        next_attempt_at=timezone.now(),
        error_reason="",
        error_code="",
        failed_at=None,
        queued_at=timezone.now(),
    )
    if not changed:
        raise PolicyViolation(_("Only a failed message can be retried."))
    message.refresh_from_db()
    tasks.kick("outbound")
    events.publish(events.MESSAGE_UPDATED, **_message_facts(message, status=message.status))
    return message


@transaction.atomic
def message_edit(*, message: Message, content: str, by: User | None) -> Message:
    """Change the text of a private note, or of an outgoing message no worker has picked up yet
    (still `queued`). Anything already on its way cannot be changed: Conflict when a worker took
    it meanwhile, PolicyViolation otherwise. Publishes `message.updated`."""
    if not content.strip():
        raise PolicyViolation(_("A message cannot be empty."))
    if message.private:
        changed = Message.objects.filter(pk=message.pk, private=True).update(content=content, updated_at=timezone.now())
    elif message.direction == Message.Direction.OUTBOUND and message.status == Message.Status.QUEUED:
        _edit_check(message, content)
        changed = Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            content=content, updated_at=timezone.now()
        )
        if not changed:
            raise Conflict(_("This message is already being sent and can no longer be edited."))
    else:
        raise PolicyViolation(_("Only private notes and messages still waiting to be sent can be edited."))
    message.content = content
    if changed:
        events.publish(events.MESSAGE_UPDATED, **_message_facts(message, edited=True))
    return message


def _edit_check(message: Message, content: str) -> None:
    """The channel's rules apply to the new text as they did to the first (send path's check)."""
    from channels_app.registry import adapter_for

    draft = Draft(content=content, content_type=message.content_type, payload=message.payload)
    files = tuple(DraftFile(name=f.name, content_type=f.content_type, size=f.size) for f in message.attachments.all())
    checked = _validated(adapter_for(message.channel), draft, message.conversation.last_inbound_at, files)
    if checked.content != content:
        # The channel writes this text itself (a WhatsApp template's is its filled-in template).
        raise PolicyViolation(_("The text of this message comes from its template: send another one instead."))


@transaction.atomic
def message_mark_read(*, message: Message, by: User | None) -> Message:
    """Someone on our side read a contact's message: it and the earlier ones get `read_at`, and
    the conversation's unread count drops to the contact's messages after it (never rises).
    PolicyViolation for a message that is not the contact's. Publishes `message.updated`."""
    if message.direction != Message.Direction.INBOUND:
        raise PolicyViolation(_("Only a contact's messages can be marked read."))
    now = timezone.now()
    inbound = Message.objects.filter(conversation_id=message.conversation_id, direction=Message.Direction.INBOUND)
    inbound.filter(read_at__isnull=True, created_at__lte=message.created_at).update(read_at=now, updated_at=now)
    unread_after = inbound.filter(created_at__gt=message.created_at).count()
    lowered = Conversation.objects.filter(pk=message.conversation_id, unread_count__gt=unread_after).update(
        unread_count=unread_after, updated_at=now
    )
    message.read_at = message.read_at or now
    events.publish(events.MESSAGE_UPDATED, **_message_facts(message, read=True))
    if lowered:
        events.publish(events.CONVERSATION_UPDATED, **_facts(message.conversation, unread_count=unread_after))
    return message


# --- conversation actions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Started:
    conversation: Conversation
    message: Message | None
    created: bool  # False: the contact's open conversation on the channel was reused


@transaction.atomic
def conversation_start(
    *,
    channel: Channel,
    contact: Contact | None = None,
    address: str = "",
    by: User | None,
    subject: str = "",
    assignee: User | None = None,
    draft: Draft | None = None,
) -> Started:
    """Reach out to someone on a channel (an agent, an API client): with a known contact, or
    with an address (a phone number typed or sent by a CRM) that becomes one.

    A contact without an address on the channel's medium gets one from `address` or, on phone
    media (WhatsApp, SMS), from its phone number. The contact's open conversation on the channel
    is reused (inbound messages would land there anyway), keeping its assignee; otherwise a new
    one is opened, carrying over the customer's last message time (their 24-hour window is
    theirs, not the conversation's), and assigned to `assignee` if given. The optional first
    message goes through `message_send`, so the channel's rules apply (a WhatsApp template's
    approval and parameters) and a refusal rolls everything back. Raises PolicyViolation, or
    Conflict when the address belongs to another contact. Publishes `contact.created`,
    `conversation.created`, `conversation.assigned`, `message.created` as they happen.
    """
    from channels_app.registry import adapter_class

    medium = adapter_class(channel.kind).identity_medium
    by_phone = medium in identities.PHONE_MEDIA
    if contact is None:
        if not address.strip():
            raise PolicyViolation(
                _("Choose a contact or type a phone number.") if by_phone else _("Choose a contact to write to.")
            )
        normalized = _address(medium, address)
        _refuse_own_address(channel, normalized, field="phone")
        contact = contact_resolve(medium=medium, address=normalized).contact
    elif (identity := contact_identity_on(contact_id=contact.pk, channel=channel)) is None:
        given = address.strip() or (contact.phone if by_phone else "")
        if not given:
            raise PolicyViolation(
                _("This contact has no phone number: type the number to use.")
                if by_phone
                else _("This contact has no address on this channel.")
            )
        normalized = _address(medium, given)
        _refuse_own_address(channel, normalized, field="phone" if address.strip() else "contact_id")
        identity_attach(contact=contact, medium=medium, address=normalized)
    else:
        _refuse_own_address(channel, identity.address, field="contact_id")
    # Serialise per contact, as message_receive does: two starts at once open one conversation.
    Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk", flat=True).first()
    conversation = (
        Conversation.objects.filter(channel=channel, contact=contact)
        .exclude(status=Conversation.Status.RESOLVED)
        .select_related("channel")
        .order_by("-last_activity_at")
        .first()
    )
    created = conversation is None
    if created:
        last_inbound = Conversation.objects.filter(channel=channel, contact=contact).aggregate(
            at=Max("last_inbound_at")
        )["at"]
        conversation = Conversation.objects.create(
            channel=channel,
            contact=contact,
            subject=subject[:255],
            team=channel.assignment_team,
            last_inbound_at=last_inbound,
        )
        events.publish(events.CONVERSATION_CREATED, **_facts(conversation, contact_id=str(contact.uuid)))
        if assignee is not None:
            conversation_assign(conversation=conversation, assignee=assignee, by=by)
    message = message_send(conversation=conversation, draft=draft, sender=by) if draft is not None else None
    return Started(conversation=conversation, message=message, created=created)


def _refuse_own_address(channel: Channel, address: str, *, field: str) -> None:
    """A business cannot write to itself: refuse the channel's own address (before anything is
    stored or sent), naming the field that holds it."""
    from channels_app.registry import adapter_for

    if address in adapter_for(channel).own_addresses():
        message = _("This is the channel's own number.")
        raise PolicyViolation(message, extra={"fields": {field: [message]}})


def _address(medium: str, raw: str) -> str:
    """An address typed by a person, normalised (so that only a provider's own spelling is ever
    kept as an identity's provider address)."""
    try:
        return identities.normalize(medium, raw)
    except identities.InvalidAddress as exc:
        if medium in identities.PHONE_MEDIA:
            raise PolicyViolation(_("This is not a valid phone number: %(number)s") % {"number": raw}) from exc
        raise PolicyViolation(_("This is not a valid address on this channel: %(address)s") % {"address": raw}) from exc


def _log_activity(conversation: Conversation, by: User | None, **payload) -> Message:
    """A system line in the timeline; its text is described from `payload` (conversations.activity)."""
    payload["by_name"] = by.display_name if by else None
    message = Message.objects.create(
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Message.Direction.OUTBOUND,
        sender_type=Message.SenderType.SYSTEM,
        sender_user=by,
        content=activity.describe_for_storage(payload),
        content_type=Message.ContentType.ACTIVITY,
        payload=payload,
        status=Message.Status.LOGGED,
    )
    return message


@transaction.atomic(savepoint=False)  # hot path: no savepoint when nested in the event's transaction
def conversation_assign(
    *, conversation: Conversation, assignee: User | None, by: User | None, team: Team | None = None
) -> Conversation:
    """Assign (or unassign, with None) a conversation, manually or by the rules (`by` None).

    Logs the change in the timeline and publishes `conversation.assigned`.
    """
    previous = conversation.assignee_id
    updates = {"assignee": assignee, "updated_at": timezone.now()}
    if team is not None:
        updates["team"] = team
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    conversation.assignee = assignee
    if team is not None:
        conversation.team = team
    if previous == (assignee.pk if assignee else None) and team is None:
        return conversation
    _log_activity(
        conversation,
        by,
        action="assigned",
        assignee=str(assignee.uuid) if assignee else None,
        assignee_name=assignee.display_name if assignee else None,
        took=bool(by and assignee and by.pk == assignee.pk),
    )
    events.publish(
        events.CONVERSATION_ASSIGNED,
        **_facts(
            conversation,
            assignee_id=str(assignee.uuid) if assignee else None,
            assignee_pk=assignee.pk if assignee else None,
            previous_assignee_pk=previous,
            team_id=str(conversation.team.uuid) if conversation.team_id else None,
        ),
    )
    return conversation


@transaction.atomic
def conversation_set_status(
    *, conversation: Conversation, status: str, by: User | None, snoozed_until: datetime | None = None
) -> Conversation:
    """Open, set pending, snooze (until a time) or resolve. Publishes `conversation.status_changed`."""
    if status not in Conversation.Status.values:
        raise PolicyViolation(_("Unknown status %(status)s.") % {"status": status})
    if status == Conversation.Status.SNOOZED and (snoozed_until is None or snoozed_until <= timezone.now()):
        raise PolicyViolation(_("Choose a time in the future to snooze until."))
    previous = conversation.status
    if previous == status and status != Conversation.Status.SNOOZED:
        return conversation
    now = timezone.now()
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status == Conversation.Status.SNOOZED else None
    conversation.resolved_at = now if status == Conversation.Status.RESOLVED else None
    Conversation.objects.filter(pk=conversation.pk).update(
        status=status, snoozed_until=conversation.snoozed_until, resolved_at=conversation.resolved_at, updated_at=now
    )
    _log_activity(conversation, by, action="status_changed", status=status)
    events.publish(events.CONVERSATION_STATUS_CHANGED, **_facts(conversation, previous_status=previous, status=status))
    return conversation


def conversations_wake_snoozed() -> int:
    """Reopen snoozed conversations whose time has come (scheduled)."""
    woken = 0
    due = Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=timezone.now())
    for conversation in due.select_related("channel")[:500]:
        conversation_set_status(conversation=conversation, status=Conversation.Status.OPEN, by=None)
        woken += 1
    return woken


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, by: User) -> None:
    """An agent read the conversation: clear the unread count, and, on channels that show it
    (WhatsApp's blue ticks), queue telling the customer's provider."""
    from channels_app.registry import adapter_class

    if (
        Conversation.objects.filter(pk=conversation.pk)
        .filter(~Q(unread_count=0))
        .update(unread_count=0, updated_at=timezone.now())
    ):
        events.publish(events.CONVERSATION_UPDATED, **_facts(conversation, unread_count=0))
        if adapter_class(conversation.channel.kind).marks_read:
            tasks.run("channels_app.tasks.conversation_read_receipt_send", conversation.pk)


@transaction.atomic
def conversation_mark_unread(*, conversation: Conversation, by: User) -> None:
    """An agent wants to come back to it: show it as unread again."""
    Conversation.objects.filter(pk=conversation.pk, unread_count=0).update(unread_count=1)
    events.publish(events.CONVERSATION_UPDATED, **_facts(conversation, unread_count=1))


@transaction.atomic
def conversation_set_labels(*, conversation: Conversation, labels: list, by: User | None) -> None:
    """Replace the conversation's labels. Publishes `conversation.updated`."""
    before = set(conversation.labels.values_list("pk", flat=True))
    after = {label.pk for label in labels}
    if before == after:
        return
    conversation.labels.set(labels)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    events.publish(events.CONVERSATION_UPDATED, **_facts(conversation, labels=sorted(label.name for label in labels)))


@transaction.atomic
def settings_object_save(*, form):
    """Save a simple settings object (label, canned response) from its validated form."""
    return form.save()


@transaction.atomic
def settings_object_delete(*, obj) -> None:
    if obj is not None:
        obj.delete()
