from django.contrib import admin

from monitoring.models import ApiCall


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "provider", "operation", "status_code", "latency_ms", "ok", "channel", "reference"]
    list_filter = ["ok", "provider", "operation", "channel"]
    search_fields = ["reference", "url", "error"]
    list_select_related = ["channel"]
    readonly_fields = [f.name for f in ApiCall._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False
