from django.contrib import admin

from channels_app.providers.web_widget.models import BotState, VisitorUpload


@admin.register(BotState)
class BotStateAdmin(admin.ModelAdmin):
    list_display = ["conversation", "node", "handed_off_at", "awaiting_email", "away_sent_at", "updated_at"]
    list_filter = ["awaiting_email"]
    raw_id_fields = ["conversation", "handoff_message"]


@admin.register(VisitorUpload)
class VisitorUploadAdmin(admin.ModelAdmin):
    list_display = ["name", "content_type", "size", "channel", "created_at"]
    readonly_fields = ["uuid", "channel", "visitor", "file", "name", "content_type", "size", "created_at"]
