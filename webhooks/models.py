"""Outbound webhooks (API-WEBHOOK): subscriptions, and the delivery log.

A domain event that a subscription wants becomes a WebhookDelivery row inside the publishing
transaction (the outbox): the payload is frozen there, and the row is the durable work item the
`webhooks` queue drains (status / attempts / next_attempt_at / lease_until, like every queue).
Each try is a WebhookAttempt: status code, latency, an excerpt of the answer.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.fields import EncryptedJSONField


class WebhookSubscription(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list, help_text=_('Event names, or ["*"] for all.'))
    description = models.CharField(_("description"), max_length=200, blank=True)
    credentials = EncryptedJSONField(default=dict, blank=True)  # {"secret": "whsec_..."}
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True, help_text=_("First failure with no success after it.")
    )
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url

    @property
    def secret(self) -> str:
        return self.credentials.get("secret", "")

    @property
    def masked_secret(self) -> str:
        return crypto.mask(self.secret)

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(help_text=_("Retries stop after this time."))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The drain only looks at unfinished rows: keep that index tiny.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
            models.Index(fields=["created_at"], name="webhook_delivery_age_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription_id} ({self.status})"

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks `webhook-id`: the same for every attempt, so receivers dedupe."""
        return f"msg_{self.uuid.hex}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.status_code or self.error[:40]}"
