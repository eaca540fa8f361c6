from django.contrib import admin

from contacts.models import Contact, ContactIdentity


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["medium", "address", "provider_address", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "phone", "created_at", "updated_at"]
    search_fields = ["name", "email", "phone", "identities__address"]
    list_filter = ["identities__medium"]
    readonly_fields = ["uuid", "created_at", "updated_at", "merged_into"]
    inlines = [IdentityInline]
    date_hierarchy = "created_at"


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    list_display = ["medium", "address", "contact", "created_at"]
    list_filter = ["medium"]
    search_fields = ["address", "contact__name"]
    list_select_related = ["contact"]
    autocomplete_fields = ["contact"]
