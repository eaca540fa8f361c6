from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bookkeeping rows the system owns: visible to admins, never edited by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in (self.exclude or ())]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
