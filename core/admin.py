from django.contrib import admin

from core.models import RelayedMessage


@admin.register(RelayedMessage)
class RelayedMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "groups"]
    readonly_fields = ["groups", "message", "created_at"]
