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


from channels_app.providers.email.models import OAuthState, Pop3Seen  # noqa: E402
from core.admin_helpers import ReadOnlyAdmin  # noqa: E402


@admin.register(FolderState)
class FolderStateAdmin(ReadOnlyAdmin):
    list_display = ["mailbox", "folder", "uidvalidity", "last_uid", "updated_at"]
    search_fields = ["folder"]
    list_select_related = ["mailbox__channel"]


@admin.register(Pop3Seen)
class Pop3SeenAdmin(ReadOnlyAdmin):
    list_display = ["mailbox", "uidl", "seen_at"]
    search_fields = ["uidl"]


@admin.register(OAuthState)
class OAuthStateAdmin(ReadOnlyAdmin):
    """Sign-in flows in progress (the PKCE verifier is a secret: not shown)."""

    list_display = ["created_at", "channel", "provider", "user"]
    exclude = ["code_verifier", "state"]
