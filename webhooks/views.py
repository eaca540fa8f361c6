"""Settings → Webhooks: subscriptions (the secret is shown once), the delivery log with every
attempt, manual redelivery, enable/delete. Administrators see every subscription."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required
from core import one_time
from core.exceptions import ApplicationError
from webhooks import selectors, services
from webhooks.forms import SubscriptionForm
from webhooks.models import WebhookDelivery

LOG_PAGE_SIZE = 50
CREATED = "webhook-subscription-created"


def _context(**extra) -> dict:
    return {"nav": "settings", "section": "webhooks", **extra}


@admin_required
def subscriptions(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.subscription_register(owner=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            for field, errors in exc.extra.get("fields", {"url": [exc.message]}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            # Post/Redirect/Get: a reload must not subscribe twice. The secret waits in the
            # server-side session for the next page, which shows it once.
            one_time.keep(request, CREATED, {"url": created.url, "secret": created.secret})
            return redirect("console:settings-webhooks")
    created = one_time.take(request, CREATED) if request.method == "GET" else None
    response = render(
        request,
        "webhooks/settings_webhooks.html",
        _context(subscriptions=selectors.subscriptions_for_user(request.user), form=form, created=created),
    )
    if created is not None:
        response["Cache-Control"] = "no-store"  # the page shows the secret once
    return response


@admin_required
def subscription_detail(request, subscription_uuid):
    subscription = selectors.subscription_get_for_user(user=request.user, uuid=subscription_uuid)
    status = request.GET.get("status", "")
    if status not in WebhookDelivery.Status.values:
        status = ""
    log = selectors.delivery_log(subscription=subscription, status=status or None).order_by("-created_at", "-id")
    page = Paginator(log, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/settings_webhook_detail.html",
        _context(subscription=subscription, page=page, status=status, statuses=WebhookDelivery.Status.choices),
    )


@admin_required
@require_POST
def subscription_enable(request, subscription_uuid):
    subscription = selectors.subscription_get_for_user(user=request.user, uuid=subscription_uuid)
    services.subscription_enable(subscription=subscription)
    messages.success(request, _("Subscription enabled."))
    return redirect("console:settings-webhook", subscription_uuid=subscription.uuid)


@admin_required
@require_POST
def subscription_delete(request, subscription_uuid):
    subscription = selectors.subscription_get_for_user(user=request.user, uuid=subscription_uuid)
    services.subscription_delete(subscription=subscription)
    messages.success(request, _("Subscription deleted."))
    return redirect("console:settings-webhooks")


@admin_required
@require_POST
def delivery_redeliver(request, delivery_uuid):
    delivery = selectors.delivery_get_for_user(user=request.user, uuid=delivery_uuid)
    try:
        services.delivery_redeliver(delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued for delivery again."))
    return redirect("console:settings-webhook", subscription_uuid=delivery.subscription.uuid)
