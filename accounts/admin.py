from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import InboxMembership, Team, User


class InboxMembershipInline(admin.TabularInline):
    model = InboxMembership
    extra = 0
    autocomplete_fields = ["channel"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "availability", "max_open_conversations", "is_active"]
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
