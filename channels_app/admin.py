import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from channels_app import registry, services
from channels_app.models import Channel, InboundEvent, PendingStatus
from core import crypto


class ChannelAdminForm(forms.ModelForm):
    """Credentials are write-only: the form shows them masked and replaces them only when a new
    JSON object is typed in."""

    kind = forms.ChoiceField(label=_("kind"), choices=())
    new_credentials = forms.CharField(
        label=_("replace credentials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_('A JSON object, e.g. {"secret": "…"}. Leave empty to keep the current credentials.'),
    )

    class Meta:
        model = Channel
        fields = [
            "kind",
            "name",
            "is_active",
            "settings",
            "assignment_strategy",
            "assignment_team",
            "sticky_assignment",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = registry.kinds()

    def clean_new_credentials(self):
        raw = self.cleaned_data["new_credentials"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Credentials must be a JSON object."))
        return value

    def save(self, commit=True):
        if self.cleaned_data.get("new_credentials") is not None:
            self.instance.credentials = self.cleaned_data["new_credentials"]
        return super().save(commit)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = ["name", "kind", "is_active", "status", "assignment_strategy", "last_error_at"]
    list_filter = ["kind", "is_active", "status", "assignment_strategy"]
    search_fields = ["name", "uuid"]
    readonly_fields = ["uuid", "webhook_url", "masked_credentials", "status", "last_error", "last_error_at"]
    fieldsets = (
        (None, {"fields": ("kind", "name", "is_active", "uuid", "webhook_url")}),
        (_("Configuration"), {"fields": ("settings", "masked_credentials", "new_credentials")}),
        (_("Assignment"), {"fields": ("assignment_strategy", "assignment_team", "sticky_assignment")}),
        (_("Health"), {"fields": ("status", "last_error", "last_error_at")}),
    )

    @admin.display(description=_("credentials"))
    def masked_credentials(self, channel):
        masked = crypto.mask_mapping(channel.credentials)
        return ", ".join(f"{key}: {value}" for key, value in masked.items()) or "—"


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "kind", "channel", "dedupe_key", "status", "attempts", "last_error_short"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["dedupe_key", "last_error"]
    list_select_related = ["channel"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields if f.name != "body"] + ["body_text"]
    exclude = ["body"]
    actions = ["requeue"]
    date_hierarchy = "received_at"

    @admin.display(description=_("last error"))
    def last_error_short(self, event):
        return event.last_error[:80]

    @admin.display(description=_("body"))
    def body_text(self, event):
        return bytes(event.body)[:20000].decode("utf-8", "replace")

    @admin.action(description=_("Process again now"))
    def requeue(self, request, queryset):
        for event in queryset:
            services.inbound_event_requeue(event=event)
        self.message_user(request, _("%(n)d event(s) queued again.") % {"n": queryset.count()}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(PendingStatus)
class PendingStatusAdmin(admin.ModelAdmin):
    list_display = ["channel", "provider_message_id", "state", "occurred_at"]
    list_filter = ["state"]
    search_fields = ["provider_message_id"]
