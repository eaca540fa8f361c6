"""Reads for webhook subscriptions and deliveries. Administrators see all; others their own."""

import time

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import User
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscriptions_for_user(user: User) -> QuerySet[WebhookSubscription]:
    if not user.is_authenticated or not user.is_active:
        return WebhookSubscription.objects.none()
    qs = WebhookSubscription.objects.select_related("owner")
    return qs if user.is_admin else qs.filter(owner=user)


def subscription_get_for_user(*, user: User, uuid) -> WebhookSubscription:
    subscription = subscriptions_for_user(user).filter(uuid=uuid).first()
    if subscription is None:
        raise Http404("No such subscription.")
    return subscription


def delivery_log(*, subscription: WebhookSubscription, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """Deliveries with their attempt log prefetched: count attempts from the log, since
    `attempts` is the queue's retry counter, which a manual redelivery sets back to 0."""
    qs = WebhookDelivery.objects.filter(subscription=subscription).prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("attempted_at", "id"))
    )
    return qs.filter(status=status) if status else qs


def delivery_get_for_user(*, user: User, uuid) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(subscription__in=subscriptions_for_user(user), uuid=uuid)
        .select_related("subscription__owner")
        .prefetch_related("attempt_log")
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


# Every domain event asks which subscriptions want it, inside the publishing transaction: at
# hundreds of messages a second that query is a cost of its own. A process keeps the list for
# a second; changes made in this process clear it at once, other processes see them within it.
_ACTIVE_SECONDS = 1.0
_active: tuple[float, list[WebhookSubscription]] = (0.0, [])


def active_subscriptions() -> list[WebhookSubscription]:
    global _active
    now = time.monotonic()
    if now - _active[0] >= _ACTIVE_SECONDS:
        _active = (now, list(WebhookSubscription.objects.filter(is_active=True).select_related("owner")))
    return _active[1]


def active_subscriptions_forget() -> None:
    global _active
    _active = (0.0, [])
