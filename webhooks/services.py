"""Outbound webhooks: subscriptions, the transactional outbox, delivery with retries.

Delivery follows Saleor's and Standard Webhooks' practice: each delivery is signed
(core.signing, `webhook-id` stable across retries), sent through core.http with the SSRF guard,
and every try is logged. 2xx succeeds. 4xx other than 408/429 fails at once (the receiver
refuses it; 410 Gone also disables the subscription). Anything else (5xx, 408, 429, timeouts,
refused connections) is retried with exponential backoff until the delivery is
WEBHOOK_RETRY_WINDOW_SECONDS old (3 days); a receiver's `Retry-After` on 429/503 is honoured
when it asks for a longer wait (capped at the longest backoff). A subscription that has had no success for that long
is disabled and its owner told, in the app and by e-mail.
"""

import json
import logging
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import InboxMembership, User
from accounts.services import notification_create
from conversations.payloads import event_payload
from core import claims, events, http, netguard, signing, tasks
from core.exceptions import ApplicationError, PolicyViolation
from webhooks import catalog, selectors
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

QUEUE = "webhooks"
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 12 * 3600
EXCERPT_CHARS = 1000


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, extra={"code": "invalid", "fields": {field: [message]}})


# --- subscriptions ----------------------------------------------------------------------------
def validate_url(url: str) -> None:
    """Raise ApplicationError (400, field `url`) for a URL we must not call (SSRF guard)."""
    try:
        netguard.check_url(url)
    except netguard.UnsafeURL as exc:
        raise _invalid("url", str(exc)) from exc


def validate_events(names: list[str]) -> list[str]:
    unknown = [name for name in names if name != catalog.ALL and name not in catalog.EVENTS]
    if unknown or not names:
        raise _invalid(
            "events",
            _("Unknown event(s): %(names)s. Choose from: %(known)s, or *.")
            % {"names": ", ".join(unknown) or "—", "known": ", ".join(catalog.EVENTS)},
        )
    return [catalog.ALL] if catalog.ALL in names else sorted(set(names))


def validate_secret(secret: str) -> None:
    try:
        key = signing._key(secret) if secret.startswith(signing.SECRET_PREFIX) else b""
    except ValueError:
        key = b""
    if not 24 <= len(key) <= 64:
        raise _invalid("secret", _("A secret is `whsec_` followed by 24 to 64 random bytes in base64."))


@transaction.atomic
def subscription_register(
    *, owner: User, url: str, events: list[str], secret: str = "", description: str = ""
) -> WebhookSubscription:
    """Subscribe `url` to `events` on behalf of `owner`, who receives only events of what they
    may see (their inboxes; contact events for administrators only). The URL must pass the SSRF
    guard. A `whsec_` secret is generated unless one is given; read it from `.secret` once."""
    validate_url(url)
    names = validate_events(events)
    if secret:
        validate_secret(secret)
    subscription = WebhookSubscription.objects.create(
        owner=owner,
        url=url,
        events=names,
        description=description[:200],
        credentials={"secret": secret or signing.generate_secret()},
    )
    selectors.active_subscriptions_forget()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its delivery log; pending deliveries are dropped."""
    subscription.delete()
    selectors.active_subscriptions_forget()


@transaction.atomic
def subscription_enable(*, subscription: WebhookSubscription) -> None:
    """Turn a disabled subscription back on (an admin fixed the receiver)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=True, disabled_at=None, disabled_reason="", failing_since=None
    )
    subscription.is_active = True
    selectors.active_subscriptions_forget()


@transaction.atomic
def subscription_disable(*, subscription: WebhookSubscription, reason: str) -> bool:
    """Stop delivering to a subscription and tell its owner (in the app and by e-mail).
    Pending deliveries fail when their turn comes. Returns whether it was active."""
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:300]
    )
    subscription.is_active = False
    selectors.active_subscriptions_forget()
    if changed:
        notification_create(
            user=subscription.owner,
            level="error",
            title=_("Webhook disabled: %(url)s") % {"url": subscription.url[:120]},
            body=_(
                "We stopped sending events to %(url)s because %(reason)s. "
                "Fix the receiver, then enable the subscription again or register it anew."
            )
            % {"url": subscription.url, "reason": reason},
            link=reverse("console:settings-webhook", kwargs={"subscription_uuid": subscription.uuid}),
        )
    return bool(changed)


# --- the outbox (a durable event subscriber) ----------------------------------------------------
def deliveries_enqueue(event: events.Event) -> None:
    """Write one delivery per subscription that wants `event` and may see it, inside the
    publishing transaction: if the change commits, its webhooks will be sent."""
    if event.name not in catalog.EVENTS:
        return
    wanted = [s for s in selectors.active_subscriptions() if s.wants(event.name)]
    wanted = _visible_to_owners(wanted, event)
    if not wanted:
        return
    payload = event_payload(event)
    if payload is None:
        return
    now = timezone.now()
    give_up_at = now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=s,
                event=event.name,
                payload=payload,
                next_attempt_at=now,
                give_up_at=give_up_at,
                created_at=now,
            )
            for s in wanted
        ]
    )
    tasks.kick(QUEUE)


def _visible_to_owners(subscriptions: list[WebhookSubscription], event: events.Event) -> list[WebhookSubscription]:
    """The subscriptions whose owner may see what the event is about (same rule as the API)."""
    subscriptions = [s for s in subscriptions if s.owner.is_active]
    admins = [s for s in subscriptions if s.owner.is_admin]
    others = [s for s in subscriptions if not s.owner.is_admin]
    channel_pk = event.facts.get("channel_pk")
    if not others or channel_pk is None or event.name.startswith(catalog.ADMIN_ONLY_PREFIXES):
        return admins
    members = set(
        InboxMembership.objects.filter(channel_id=channel_pk, user_id__in=[s.owner_id for s in others]).values_list(
            "user_id", flat=True
        )
    )
    return admins + [s for s in others if s.owner_id in members]


# --- delivery ---------------------------------------------------------------------------------
def deliveries_drain() -> int:
    """Send due deliveries in batches until none is left. Returns how many succeeded."""
    tasks.drain_started(QUEUE)
    delivered = 0
    due = claims.due_or_expired(
        pending_status=WebhookDelivery.Status.PENDING, claimed_status=WebhookDelivery.Status.SENDING
    )
    batch_size = settings.WEBHOOK_BATCH_SIZE
    # A claimed batch is sent one by one: the lease must outlast the slowest possible batch.
    lease = int(batch_size * (settings.WEBHOOK_TIMEOUT_SECONDS + 1)) + 30
    while True:
        ids = claims.claim_batch(
            WebhookDelivery.objects.all(),
            due=due,
            claimed_status=WebhookDelivery.Status.SENDING,
            limit=batch_size,
            lease_seconds=lease,
            order_by=("next_attempt_at", "id"),
        )
        if not ids:
            return delivered
        disabled: set[int] = set()  # subscriptions disabled by an earlier delivery of this batch
        for delivery in WebhookDelivery.objects.filter(id__in=ids).select_related("subscription__owner").order_by("id"):
            if delivery.subscription_id in disabled:
                delivery.subscription.is_active = False
            delivered += delivery_attempt(delivery=delivery)
            if not delivery.subscription.is_active:
                disabled.add(delivery.subscription_id)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def delivery_attempt(*, delivery: WebhookDelivery) -> bool:
    """One try of a claimed delivery: sign, POST, log the attempt, decide what comes next.
    Never raises. Returns whether it was delivered."""
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(delivery, status=WebhookDelivery.Status.FAILED, error=_("The subscription is disabled."))
        return False
    body = body_of(delivery)
    secret = subscription.secret
    started = time.monotonic()
    status_code, excerpt, error, permanent, asked_wait = None, "", "", False, None
    try:
        response = http.request(
            "POST",
            subscription.url,
            provider="webhook",
            operation=delivery.event,
            reference=str(delivery.uuid),
            content=body,
            headers=signing.signed_headers(secret, delivery.webhook_id, body),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            guard_ssrf=True,
            secrets=[secret],
        )
        status_code = response.status_code
        excerpt = http.redact(response.text[:EXCERPT_CHARS], [secret])
        permanent = 400 <= status_code < 500 and status_code not in (408, 429)
        if status_code in (429, 503):
            asked_wait = retry_after_of(response.headers.get("Retry-After"))
    except netguard.UnsafeURL as exc:
        error, permanent = str(exc), True
    except http.TransportError as exc:
        error = exc.message
    except Exception as exc:  # a bug must not lose the delivery: log it and retry later
        logger.exception("webhook delivery %s failed unexpectedly", delivery.uuid)
        error = _("Internal error while sending: %(error)s") % {"error": type(exc).__name__}
    latency_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    _record(
        delivery,
        ok=ok,
        permanent=permanent,
        status_code=status_code,
        excerpt=excerpt,
        error=error,
        latency_ms=latency_ms,
        asked_wait=asked_wait,
    )
    return ok


def retry_after_of(value: str | None) -> timedelta | None:
    """The wait a `Retry-After` header asks for (delay-seconds or an HTTP date), capped at the
    longest backoff so a receiver cannot park a delivery for weeks; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return timedelta(seconds=min(max(seconds, 0), BACKOFF_MAX_SECONDS))


@transaction.atomic
def _record(delivery, *, ok, permanent, status_code, excerpt, error, latency_ms, asked_wait=None) -> None:
    now = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=status_code,
        latency_ms=latency_ms,
        response_excerpt=excerpt,
        error=error[:2000],
    )
    subscription = delivery.subscription
    if ok:
        _finish(delivery, status=WebhookDelivery.Status.SUCCEEDED, status_code=status_code, delivered_at=now)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None, last_success_at=now)
        return
    reason = error or _("the receiver answered %(code)s") % {"code": status_code}
    next_at = now + max(backoff(delivery.attempts), asked_wait or timedelta(0))
    exhausted = not permanent and next_at > delivery.give_up_at
    if permanent or exhausted:
        _finish(delivery, status=WebhookDelivery.Status.FAILED, status_code=status_code, error=reason)
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING).update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=next_at,
            lease_until=None,
            last_status_code=status_code,
            last_error=reason[:2000],
        )
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(failing_since=now)
    failing_since, last_success_at = (
        WebhookSubscription.objects.filter(pk=subscription.pk).values_list("failing_since", "last_success_at").first()
    )
    window = timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    days = round(window.total_seconds() / 86400, 1)
    if status_code == 410:
        subscription_disable(subscription=subscription, reason=_("the receiver answered 410 Gone"))
    elif failing_since <= now - window or (
        exhausted and (last_success_at is None or last_success_at < delivery.created_at)
    ):
        subscription_disable(
            subscription=subscription,
            reason=_("deliveries have failed for %(days)s days with no success (last: %(reason)s)")
            % {"days": f"{days:g}", "reason": reason},
        )


def _finish(delivery, *, status, status_code=None, error="", delivered_at=None) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        lease_until=None,
        last_status_code=status_code,
        last_error=error[:2000],
        delivered_at=delivered_at,
    )


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` tries: 10 s doubling to at most 12 h, which
    spreads about 17 tries over the 3-day retry window."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """Send a delivery again now (an admin's manual redelivery), with a fresh retry window.
    The same `webhook-id` is sent, so a receiver that already has it can drop it."""
    if not delivery.subscription.is_active:
        raise PolicyViolation(_("Enable the subscription before redelivering to it."))
    if delivery.status == WebhookDelivery.Status.SENDING:
        raise PolicyViolation(_("This delivery is being sent right now."))
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        give_up_at=now + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS),
    )
    tasks.kick(QUEUE)


def prune_deliveries() -> int:
    """Delete finished deliveries (and their attempts) older than the retention period."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    finished = Q(status__in=[WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED])
    deleted, _counts = WebhookDelivery.objects.filter(finished, created_at__lt=cutoff).delete()
    return deleted
