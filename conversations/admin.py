from django.contrib import admin

from conversations.models import Attachment, Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "direction", "sender_type", "content", "status", "error_reason"]
    readonly_fields = fields
    show_change_link = True
    ordering = ["created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["uuid", "contact", "channel", "status", "assignee", "team", "unread_count", "last_activity_at"]
    list_filter = ["status", "channel", "team", "assignee"]
    search_fields = ["uuid", "contact__name", "contact__email", "contact__phone", "subject"]
    list_select_related = ["contact", "channel", "assignee", "team"]
    readonly_fields = ["uuid", "created_at", "updated_at", "last_activity_at", "first_reply_at", "resolved_at"]
    autocomplete_fields = ["contact", "assignee"]
    inlines = [MessageInline]
    date_hierarchy = "last_activity_at"


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["name", "content_type", "size", "created_at"]
    fields = readonly_fields


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["uuid", "created_at", "channel", "direction", "sender_type", "content_type", "status", "attempts"]
    list_filter = ["status", "direction", "sender_type", "content_type", "channel"]
    search_fields = ["uuid", "provider_message_id", "content"]
    list_select_related = ["channel"]
    readonly_fields = [f.name for f in Message._meta.fields]
    inlines = [AttachmentInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "content_type", "size", "message", "created_at"]
    list_filter = ["content_type"]
    search_fields = ["name", "message__uuid"]
    readonly_fields = ["uuid", "message", "file", "name", "size", "content_type", "created_at"]


from conversations.models import CannedResponse, Label  # noqa: E402


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "color", "description"]
    search_fields = ["name"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "content", "created_at"]
    search_fields = ["shortcut", "content"]
