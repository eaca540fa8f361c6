from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are registered through the API or the console settings page (which check
    the URL against private targets); here they are inspected, enabled, disabled or deleted."""

    list_display = ["url", "owner", "events", "is_active", "failing_since", "last_success_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "uuid", "owner__username", "description"]
    list_select_related = ["owner"]
    readonly_fields = [
        "uuid",
        "owner",
        "url",
        "events",
        "masked_secret",
        "failing_since",
        "last_success_at",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    fields = ["description", *readonly_fields, "is_active"]
    actions = ["enable", "disable"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("secret"))
    def masked_secret(self, subscription):
        return subscription.masked_secret

    @admin.action(description=_("Enable"))
    def enable(self, request, queryset):
        for subscription in queryset:
            services.subscription_enable(subscription=subscription)
        self.message_user(request, _("Enabled."), messages.SUCCESS)

    @admin.action(description=_("Disable"))
    def disable(self, request, queryset):
        for subscription in queryset.select_related("owner"):
            services.subscription_disable(subscription=subscription, reason=str(_("an administrator disabled it")))
        self.message_user(request, _("Disabled."), messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["attempted_at", "status_code", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event"]
    search_fields = ["uuid", "subscription__url"]
    list_select_related = ["subscription"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Redeliver now"))
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("subscription"):
            try:
                services.delivery_redeliver(delivery=delivery)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{delivery.uuid}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(n)d delivery(ies) queued again.") % {"n": done}, messages.SUCCESS)


from core.admin_helpers import ReadOnlyAdmin  # noqa: E402
from webhooks.models import WebhookAttempt  # noqa: E402


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "delivery", "status_code", "latency_ms", "error"]
    list_filter = ["status_code"]
    search_fields = ["delivery__uuid", "error"]
    list_select_related = ["delivery"]
    date_hierarchy = "attempted_at"
