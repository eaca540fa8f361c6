from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiCall(models.Model):
    """One outbound call to a provider or subscriber (MON-LOG). Secrets are redacted by core.http."""

    provider = models.CharField(_("provider"), max_length=32)
    operation = models.CharField(_("operation"), max_length=64)
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    ok = models.BooleanField(default=True)
    channel = models.ForeignKey(
        "channels_app.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(
        max_length=64, blank=True, db_index=True, help_text=_("Message or delivery id traced.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        indexes = [
            models.Index(fields=["-created_at"], name="apicall_recent_idx"),
            models.Index(fields=["provider", "-created_at"], name="apicall_provider_idx"),
            models.Index(fields=["channel", "-created_at"], name="apicall_channel_idx"),
        ]

    def __str__(self):
        return f"{self.provider}.{self.operation} {self.status_code or self.error[:30]}"
