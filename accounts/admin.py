from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.models import ApiKey, ApiSession, InboxMembership, Notification, Team, User


class InboxMembershipInline(admin.TabularInline):
    model = InboxMembership
    extra = 0
    autocomplete_fields = ["channel"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "availability",
        "max_open_conversations",
        "is_active",
    ]
    list_filter = ["role", "availability", "is_active", "teams"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Helpdesk"), {"fields": ("role", "availability", "max_open_conversations", "language", "time_zone")}),
    )
    inlines = [InboxMembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "member_count", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    @admin.display(description=_("members"))
    def member_count(self, team):
        return team.members.count()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")


@admin.register(InboxMembership)
class InboxMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "channel", "created_at"]
    list_filter = ["channel"]
    search_fields = ["user__username", "user__email", "channel__name"]
    autocomplete_fields = ["user", "channel"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """API keys: the key is shown once, right after it is created (it is stored only hashed)."""

    list_display = [
        "name",
        "prefix",
        "user",
        "rate_limit",
        "message_rate_limit",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        editable = ["name", "user", "rate_limit", "message_rate_limit", "expires_at"]
        shown = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
        return editable if obj is None else [*editable, *shown]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = account_services.api_key_create(
            name=obj.name,
            user=obj.user,
            created_by=request.user,
            rate_limit=obj.rate_limit,
            message_rate_limit=obj.message_rate_limit,
            expires_at=obj.expires_at,
        )
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._raw_key = raw

    def response_add(self, request, obj, post_url_continue=None):
        # Shown in this answer only: never stored, never put in a message cookie.
        return TemplateResponse(
            request,
            "accounts/admin_api_key_created.html",
            {**self.admin_site.each_context(request), "key": obj, "raw_key": obj._raw_key, "opts": self.model._meta},
        )

    @admin.action(description=_("Revoke (every token obtained with it stops working)"))
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            account_services.api_key_revoke(api_key=key)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(ApiSession)
class ApiSessionAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "user",
        "api_key",
        "created_at",
        "refreshed_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["uuid", "user__username", "user__email"]
    list_select_related = ["user", "api_key"]
    readonly_fields = list_display
    exclude = ["refresh_jti"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke (its tokens stop working at once)"))
    def revoke(self, request, queryset):
        for session in queryset.filter(revoked_at__isnull=True):
            account_services.api_session_revoke_by_admin(session=session)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "level", "title", "read_at"]
    list_filter = ["level"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]


from accounts.models import IdempotencyRecord  # noqa: E402
from core.admin_helpers import ReadOnlyAdmin  # noqa: E402


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "scope", "key", "status_code", "expires_at"]
    search_fields = ["key", "scope"]
    date_hierarchy = "created_at"
