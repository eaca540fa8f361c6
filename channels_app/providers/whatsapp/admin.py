from django.contrib import admin

from channels_app.providers.whatsapp.models import MessageTemplate, MetaApp


@admin.register(MetaApp)
class MetaAppAdmin(admin.ModelAdmin):
    list_display = ("name", "app_id", "is_active", "webhook_url")
    readonly_fields = ("uuid", "webhook_url")
    exclude = ("credentials",)  # encrypted; set through the console form (write-only)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "category", "status", "waba_id", "synced_at")
    list_filter = ("status", "category", "language")
    search_fields = ("name", "waba_id")
    readonly_fields = [f.name for f in MessageTemplate._meta.fields]

    def has_add_permission(self, request):
        return False  # templates come from Meta
