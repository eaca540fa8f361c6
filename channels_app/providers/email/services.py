"""Writes for e-mail mailboxes: polling (fetch → raw InboundEvent → flag on the server), OAuth
token bookkeeping, and mailbox health.

The rule that keeps mail from being lost or duplicated: a fetched mail is committed as an
InboundEvent (deduplicated on its Message-ID) *before* the server is told anything (`\\Seen`,
deletion), and the folder's last UID moves only after that. A poll that dies at any point is
simply repeated: what was recorded is absorbed by the dedupe, what was not is fetched again.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app import registry
from channels_app import services as channel_services
from channels_app.models import Channel, InboundEvent
from channels_app.providers.email import config, connect, oauth
from channels_app.providers.email.models import FolderState, Mailbox, OAuthState, Pop3Seen
from conversations.models import Message
from core import claims, tasks

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = 300  # refresh access tokens this many seconds before they expire
FETCH_CHUNK = 25  # mails per IMAP FETCH round trip
OAUTH_STATE_TTL = timedelta(minutes=15)


# --- credentials ------------------------------------------------------------------------------
def smtp_password(channel: Channel) -> str:
    return channel.credentials.get("smtp_password") or channel.credentials.get("password", "")


def token_source(channel: Channel) -> connect.TokenSource | None:
    """A function giving a valid access token for OAuth mailboxes; None for password ones."""
    if not config.of(channel).oauth_provider:
        return None
    return lambda force=False: mailbox_access_token(channel=channel, force=force)


def mailbox_access_token(*, channel: Channel, force: bool = False) -> str:
    """A valid OAuth access token for the mailbox, refreshed when it expires within five minutes
    (or when `force`: the server refused the last one). Stores what the token endpoint returns,
    including a rotated refresh token. On `invalid_grant` flags the channel "reconnect needed"
    and raises oauth.OAuthError. The channel row is locked while refreshing, so concurrent
    pollers and senders never race two refreshes (Microsoft rotates refresh tokens)."""
    credentials = channel.credentials
    if not force and _token_fresh(credentials):
        return credentials["oauth_access_token"]
    cfg = config.of(channel)
    failure = None
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        credentials = dict(locked.credentials)
        if _token_fresh(credentials) and (
            not force or credentials.get("oauth_access_token") != channel.credentials.get("oauth_access_token")
        ):
            channel.credentials = credentials  # someone else refreshed while we waited
            return credentials["oauth_access_token"]
        if not credentials.get("oauth_refresh_token"):
            failure = oauth.OAuthError(_("This mailbox is not signed in yet: connect it first."), reconnect=True)
        else:
            try:
                tokens = oauth.refresh(
                    cfg.oauth_provider,
                    refresh_token=credentials["oauth_refresh_token"],
                    protocol=cfg.protocol,
                    channel_id=channel.pk,
                )
            except oauth.OAuthError as exc:
                failure = exc
            else:
                credentials = _with_tokens(credentials, tokens)
                Channel.objects.filter(pk=channel.pk).update(credentials=credentials)
    if failure is not None:
        if failure.reconnect:  # recorded outside the (rolled back) lock transaction
            channel_services.channel_set_status(
                channel=channel, status=Channel.Status.NEEDS_RECONNECT, error=failure.message
            )
        raise failure
    channel.credentials = credentials
    return tokens.access_token


def _token_fresh(credentials: dict) -> bool:
    return (
        bool(credentials.get("oauth_access_token"))
        and float(credentials.get("oauth_expires_at") or 0) > time.time() + TOKEN_REFRESH_MARGIN
    )


def _with_tokens(credentials: dict, tokens: oauth.Tokens) -> dict:
    updated = {
        **credentials,
        "oauth_access_token": tokens.access_token,
        "oauth_expires_at": int(time.time()) + tokens.expires_in,
    }
    if tokens.refresh_token:  # Google omits it on refresh; Microsoft rotates it
        updated["oauth_refresh_token"] = tokens.refresh_token
    return updated


@transaction.atomic
def oauth_flow_start(*, channel: Channel, user, redirect_uri: str) -> str:
    """Begin the authorisation-code flow for an OAuth mailbox: store the one-time state and PKCE
    verifier, return the provider's sign-in URL."""
    import secrets

    cfg = config.of(channel)
    OAuthState.objects.filter(created_at__lt=timezone.now() - OAUTH_STATE_TTL).delete()
    verifier, challenge = oauth.new_pkce()
    state = OAuthState.objects.create(
        state=secrets.token_urlsafe(32),
        channel=channel,
        provider=cfg.oauth_provider,
        code_verifier=verifier,
        user=user,
    )
    return oauth.authorize_url(
        cfg.oauth_provider,
        state=state.state,
        code_challenge=challenge,
        redirect_uri=redirect_uri,
        login_hint=cfg.address,
        protocol=cfg.protocol,
    )


class OAuthFlowError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def oauth_flow_finish(*, state: str, code: str, user, redirect_uri: str) -> Channel:
    """Finish the flow: check the state (one use, same user, not expired), exchange the code,
    store the tokens encrypted, mark the channel connected and ask for a first poll. Raises
    OAuthFlowError with a reason for people."""
    with transaction.atomic():
        pending = (
            OAuthState.objects.select_for_update()
            .select_related("channel")
            .filter(state=state, user=user, created_at__gte=timezone.now() - OAUTH_STATE_TTL)
            .first()
        )
        if pending is None:
            raise OAuthFlowError(_("This sign-in link has expired or was already used. Start again."))
        pending.delete()
    channel = pending.channel
    cfg = config.of(channel)
    try:
        tokens = oauth.exchange_code(
            pending.provider,
            code=code,
            code_verifier=pending.code_verifier,
            redirect_uri=redirect_uri,
            protocol=cfg.protocol,
            channel_id=channel.pk,
        )
    except oauth.OAuthError as exc:
        raise OAuthFlowError(exc.message) from exc
    if tokens.email and tokens.email != cfg.address.lower() and tokens.email != cfg.username.lower():
        raise OAuthFlowError(
            _("You signed in as %(account)s, but this mailbox is %(address)s. Sign in with that account.")
            % {"account": tokens.email, "address": cfg.address}
        )
    if not tokens.refresh_token:
        raise OAuthFlowError(_("The provider gave no refresh token; remove the app's access and connect again."))
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        credentials = _with_tokens(dict(locked.credentials), tokens)
        Channel.objects.filter(pk=channel.pk).update(credentials=credentials)
        locked.credentials = credentials
        channel_services.channel_set_status(channel=locked, status=Channel.Status.OK, error="")
        Mailbox.objects.get_or_create(channel=locked)
        Mailbox.objects.filter(channel=locked).update(next_attempt_at=timezone.now(), attempts=0, last_error="")
        tasks.kick("email_poll")
    return locked


# --- polling ----------------------------------------------------------------------------------
@dataclass
class PollResult:
    recorded: int = 0
    more: bool = False  # the batch limit was hit: poll again soon


def mailboxes_poll() -> int:
    """Poll every mailbox whose interval has passed (scheduled, and kicked after connecting).
    Returns how many mailboxes were polled."""
    tasks.drain_started("email_poll")
    _ensure_mailboxes()
    due = claims.due_or_expired(pending_status=Mailbox.Status.IDLE, claimed_status=Mailbox.Status.POLLING)
    # Like the other drains: stop well before the broker's task timeout and hand over.
    deadline = time.monotonic() + channel_services.DRAIN_SECONDS
    polled = 0
    while True:
        ids = claims.claim_batch(
            # A subquery, not a join: FOR UPDATE must lock mailbox rows only, never channels.
            Mailbox.objects.filter(channel_id__in=Channel.objects.filter(kind="email", is_active=True).values("id")),
            due=due,
            claimed_status=Mailbox.Status.POLLING,
            limit=10,
            lease_seconds=max(settings.WORK_LEASE_SECONDS, 300),
            order_by=("next_attempt_at", "id"),
        )
        if not ids:
            return polled
        mailboxes = list(Mailbox.objects.filter(id__in=ids).select_related("channel").order_by("id"))
        for position, mailbox in enumerate(mailboxes):
            if time.monotonic() > deadline:
                claims.release(Mailbox, [m.pk for m in mailboxes[position:]], Mailbox.Status.IDLE)
                tasks.kick_now("email_poll")
                return polled
            mailbox_poll(mailbox=mailbox)
            polled += 1


def _ensure_mailboxes() -> None:
    missing = Channel.objects.filter(kind="email", is_active=True, mailbox__isnull=True)
    Mailbox.objects.bulk_create([Mailbox(channel=c) for c in missing], ignore_conflicts=True)


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """One poll of a claimed mailbox. Never raises: a failure is kept on the mailbox, shown on
    the channel status, and retried with backoff."""
    channel = mailbox.channel
    cfg = config.of(channel)
    started = timezone.now()
    if channel.status == Channel.Status.NEEDS_RECONNECT and mailbox.reconnect_fingerprint == _fingerprint(channel):
        # Refused credentials are not tried again (servers lock accounts that keep failing)
        # until someone changes them.
        Mailbox.objects.filter(pk=mailbox.pk).update(
            status=Mailbox.Status.IDLE,
            lease_until=None,
            attempts=0,
            next_attempt_at=started + timedelta(seconds=cfg.poll_interval),
        )
        return PollResult()
    try:
        if cfg.protocol == "pop3":
            result = _poll_pop3(channel, cfg, mailbox)
        else:
            result = _poll_imap(channel, cfg, mailbox)
    except connect.MailboxError as exc:
        _poll_failed(mailbox, exc)
        return PollResult()
    except Exception as exc:
        logger.exception("polling mailbox of channel %s failed unexpectedly", channel.pk)
        _poll_failed(mailbox, connect.MailboxError(_("Internal error while fetching: %(error)s") % {"error": exc}))
        return PollResult()
    next_at = timezone.now() if result.more else started + timedelta(seconds=cfg.poll_interval)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        status=Mailbox.Status.IDLE,
        attempts=0,
        lease_until=None,
        next_attempt_at=next_at,
        last_polled_at=timezone.now(),
        last_success_at=timezone.now(),
        last_error="",
        reconnect_fingerprint="",
        fetched_total=F("fetched_total") + result.recorded,
    )
    # A "reconnect needed" that sending raised (SMTP refused us) is not ours to clear.
    if channel.status in (Channel.Status.ERROR, Channel.Status.UNCHECKED) or (
        channel.status == Channel.Status.NEEDS_RECONNECT and mailbox.reconnect_fingerprint
    ):
        channel_services.channel_set_status(channel=channel, status=Channel.Status.OK, error="")
    if result.more:
        tasks.kick("email_poll")
    return result


def _poll_failed(mailbox: Mailbox, exc: connect.MailboxError) -> None:
    attempts = mailbox.attempts or 1
    channel = Channel.objects.get(pk=mailbox.channel_id)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        status=Mailbox.Status.IDLE,
        lease_until=None,
        last_polled_at=timezone.now(),
        last_error=exc.message[:2000],
        next_attempt_at=timezone.now() + claims.backoff(attempts),
        reconnect_fingerprint=_fingerprint(channel) if exc.reconnect else "",
    )
    status = Channel.Status.NEEDS_RECONNECT if exc.reconnect else Channel.Status.ERROR
    if channel.status != Channel.Status.NEEDS_RECONNECT or exc.reconnect:
        channel_services.channel_set_status(channel=channel, status=status, error=exc.message)


def _fingerprint(channel: Channel) -> str:
    """Changes when someone types a new password or signs in again."""
    c = channel.credentials
    secret = [c.get("password", ""), c.get("smtp_password", ""), c.get("oauth_refresh_token", "")]
    return hashlib.sha256(json.dumps(secret).encode()).hexdigest()


def _endpoint(channel: Channel) -> str:
    return f"mailbox:{channel.uuid}"


def _record(channel: Channel, adapter, raw: bytes, headers: dict) -> None:
    channel_services.inbound_event_record(
        channel=channel,
        kind="email",
        endpoint=_endpoint(channel),
        dedupe_key=adapter.dedupe_key(raw, headers),
        body=raw,
        headers=headers,
    )


def _known_message_ids(channel: Channel, ids: list[str]) -> set[str]:
    """Which of these Message-IDs we already hold, as raw events or as messages (raw events are
    pruned after a while; messages stay)."""
    from channels_app.providers.email import mime

    stored = {mime.provider_id(i) for i in ids}
    keys = ["mid:" + i[:190] for i in stored]
    known = {
        key[4:]
        for key in InboundEvent.objects.filter(endpoint=_endpoint(channel), dedupe_key__in=keys).values_list(
            "dedupe_key", flat=True
        )
    }
    known |= set(
        Message.objects.filter(channel=channel, provider_message_id__in=stored).values_list(
            "provider_message_id", flat=True
        )
    )
    return known


def _too_large_stub(head: bytes, size: int) -> bytes:
    note = "\r\n\r\n" + _(
        "[This mail is %(size)s MB, larger than the %(limit)s MB this helpdesk imports. Open it in the mailbox.]"
    ) % {"size": round(size / 1e6, 1), "limit": round(settings.EMAIL_MAX_MESSAGE_BYTES / 1e6, 1)}
    from email.parser import BytesHeaderParser
    from email.policy import default

    headers = BytesHeaderParser(policy=default).parsebytes(head)
    for name in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        del headers[name]
    headers["MIME-Version"] = "1.0"
    headers["Content-Type"] = 'text/plain; charset="utf-8"'
    headers["Content-Transfer-Encoding"] = "8bit"
    return headers.as_bytes().rstrip(b"\r\n") + note.encode()


def inbound_session(channel: Channel, cfg: config.MailboxConfig, *, operation: str):
    """A signed-in IMAP or POP3 session on the channel's mailbox (a context manager)."""
    opener = connect.pop3 if cfg.protocol == "pop3" else connect.imap
    return opener(
        cfg,
        password=channel.credentials.get("password", ""),
        token=token_source(channel),
        channel_id=channel.pk,
        operation=operation,
    )


# --- IMAP -------------------------------------------------------------------------------------
def _poll_imap(channel: Channel, cfg: config.MailboxConfig, mailbox: Mailbox) -> PollResult:
    adapter = registry.adapter_for(channel)
    result = PollResult()
    with inbound_session(channel, cfg, operation="imap_poll") as client:
        info = client.select_folder(cfg.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = int(info.get(b"UIDNEXT") or 0)
        state = FolderState.objects.filter(mailbox=mailbox, folder=cfg.folder).first()
        if state is not None and state.uidvalidity == uidvalidity:
            if uidnext and uidnext - 1 <= state.last_uid:
                return result  # nothing new: one SELECT was the whole cost
            # `n:*` always matches the highest UID, even below n: filter on our side.
            uids = sorted(u for u in client.search(["UID", f"{state.last_uid + 1}:*"]) if u > state.last_uid)
        else:
            since = cfg.import_since
            if state is None and since is None:
                # First connection without a start date: only mail arriving from now on.
                FolderState.objects.create(
                    mailbox=mailbox, folder=cfg.folder, uidvalidity=uidvalidity, last_uid=max(uidnext - 1, 0)
                )
                return result
            uids = sorted(client.search(["SINCE", since] if since else ["ALL"]))
            if state is None:
                state = FolderState(mailbox=mailbox, folder=cfg.folder)
            state.uidvalidity, state.last_uid = uidvalidity, 0
            if not uids:
                state.last_uid = max(uidnext - 1, 0)
            state.save()
        if len(uids) > settings.EMAIL_POLL_BATCH:
            uids, result.more = uids[: settings.EMAIL_POLL_BATCH], True
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            result.recorded += _imap_chunk(client, channel, adapter, cfg, uidvalidity, chunk)
            _imap_done(client, cfg, chunk)
            FolderState.objects.filter(pk=state.pk).update(last_uid=chunk[-1])
    return result


def _imap_chunk(client, channel, adapter, cfg, uidvalidity: int, uids: list[int]) -> int:
    """Record each mail of `uids` as a raw event. Only mails whose Message-ID we do not hold yet
    are downloaded: after a UIDVALIDITY change (a re-scan) or an interrupted poll, what we have
    costs one header fetch, not the whole mail again."""
    from channels_app.providers.email import mime

    heads = client.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    wanted, large = [], []
    ids_by_uid = {}
    for uid in uids:
        data = heads.get(uid) or {}
        head = data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
        ids_by_uid[uid] = mime.message_ids(mime.header(mime.parse(head), "Message-ID"))
        (large if int(data.get(b"RFC822.SIZE") or 0) > settings.EMAIL_MAX_MESSAGE_BYTES else wanted).append(uid)
    known = _known_message_ids(channel, [i[0] for i in ids_by_uid.values() if i])
    if known:
        wanted = [u for u in wanted if not ids_by_uid[u] or mime.provider_id(ids_by_uid[u][0]) not in known]
        large = [u for u in large if not ids_by_uid[u] or mime.provider_id(ids_by_uid[u][0]) not in known]
    recorded = 0
    if wanted:
        bodies = client.fetch(wanted, ["BODY.PEEK[]"])
        for uid in wanted:
            raw = (bodies.get(uid) or {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged between SEARCH and FETCH
            _record(channel, adapter, raw, {"folder": cfg.folder, "uidvalidity": uidvalidity, "uid": uid})
            recorded += 1
    if large:
        sizes = {uid: int((heads.get(uid) or {}).get(b"RFC822.SIZE") or 0) for uid in large}
        for uid, data in client.fetch(large, ["BODY.PEEK[HEADER]"]).items():
            raw = _too_large_stub(data.get(b"BODY[HEADER]") or b"", sizes.get(uid, 0))
            _record(
                channel, adapter, raw, {"folder": cfg.folder, "uidvalidity": uidvalidity, "uid": uid, "truncated": True}
            )
            recorded += 1
    return recorded


def _imap_done(client, cfg: config.MailboxConfig, uids: list[int]) -> None:
    """Tell the server, after the mails are safely recorded."""
    if cfg.after_fetch == "delete":
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()
    elif cfg.after_fetch == "seen":
        client.add_flags(uids, [b"\\Seen"], silent=True)


# --- POP3 -------------------------------------------------------------------------------------
def _poll_pop3(channel: Channel, cfg: config.MailboxConfig, mailbox: Mailbox) -> PollResult:
    from channels_app.providers.email import mime

    adapter = registry.adapter_for(channel)
    result = PollResult()
    with inbound_session(channel, cfg, operation="pop3_poll") as client:
        listing = {}
        for line in client.uidl()[1]:
            number, _, uidl = line.decode("ascii", "replace").partition(" ")
            listing[uidl.strip()[:100]] = int(number)
        seen = set(Pop3Seen.objects.filter(mailbox=mailbox).values_list("uidl", flat=True))
        # Forget UIDLs whose mail left the server, so the set does not grow forever.
        gone = seen - listing.keys()
        if gone:
            Pop3Seen.objects.filter(mailbox=mailbox, uidl__in=gone).delete()
        started = FolderState.objects.filter(mailbox=mailbox, folder="pop3").exists()
        if not started:
            # First connection: mail older than the start date is marked seen, not imported.
            old = []
            for uidl, number in listing.items():
                if cfg.import_since is None:
                    old.append(uidl)
                    continue
                head = mime.parse(b"\r\n".join(client.top(number, 0)[1]))
                when = mime.date(head)
                if when is not None and when.date() < cfg.import_since:
                    old.append(uidl)
            Pop3Seen.objects.bulk_create([Pop3Seen(mailbox=mailbox, uidl=u) for u in old], ignore_conflicts=True)
            FolderState.objects.create(mailbox=mailbox, folder="pop3", uidvalidity=0, last_uid=0)
            seen |= set(old)
        new = sorted((number, uidl) for uidl, number in listing.items() if uidl not in seen)
        if len(new) > settings.EMAIL_POLL_BATCH:
            new, result.more = new[: settings.EMAIL_POLL_BATCH], True
        for number, uidl in new:
            size = int(client.list(number).split()[2])
            if size > settings.EMAIL_MAX_MESSAGE_BYTES:
                raw = _too_large_stub(b"\r\n".join(client.top(number, 0)[1]), size)
            else:
                raw = b"\r\n".join(client.retr(number)[1]) + b"\r\n"
            _record(channel, adapter, raw, {"pop3_uidl": uidl})
            Pop3Seen.objects.get_or_create(mailbox=mailbox, uidl=uidl)
            if cfg.after_fetch == "delete":
                client.dele(number)
            result.recorded += 1
    return result


# --- health -----------------------------------------------------------------------------------
def mailbox_check(*, channel: Channel) -> None:
    """Sign in to the mailbox (IMAP or POP3) and the SMTP server; raises connect.MailboxError."""
    cfg = config.of(channel)
    with inbound_session(channel, cfg, operation="check"):
        pass
    try:
        client = connect.smtp_open(cfg, password=smtp_password(channel), token=token_source(channel))
        client.quit()
    except connect.MailboxError:
        raise
    except Exception as exc:
        raise connect.describe(exc, cfg.smtp) from exc


def mailbox_poll_requested(*, channel: Channel) -> PollResult | None:
    """Poll one mailbox now (the IDLE watcher heard of new mail), unless a poll of it is
    already running elsewhere. Returns None when it was busy."""
    Mailbox.objects.get_or_create(channel=channel)
    now = timezone.now()
    ids = claims.claim_batch(
        Mailbox.objects.filter(channel=channel),
        due=Q(status=Mailbox.Status.IDLE) | Q(status=Mailbox.Status.POLLING, lease_until__lt=now),
        claimed_status=Mailbox.Status.POLLING,
        limit=1,
        lease_seconds=max(settings.WORK_LEASE_SECONDS, 300),
    )
    if not ids:
        return None
    return mailbox_poll(mailbox=Mailbox.objects.select_related("channel").get(pk=ids[0]))
