from django.contrib import admin

from channels_app.providers.email.models import FolderState, Mailbox


class FolderStateInline(admin.TabularInline):
    model = FolderState
    extra = 0
    readonly_fields = ("folder", "uidvalidity", "last_uid", "updated_at")
    can_delete = False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """Where each mailbox's fetching stands (read-only: the poller owns these rows)."""

    list_display = (
        "channel",
        "status",
        "last_success_at",
        "next_attempt_at",
        "attempts",
        "fetched_total",
        "last_error",
    )
    list_select_related = ("channel",)
    readonly_fields = [f.name for f in Mailbox._meta.fields]
    inlines = [FolderStateInline]

    def has_add_permission(self, request):
        return False
