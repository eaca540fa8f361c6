from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User, validate_expiry


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses it, e.g. “CRM sync”."))
    user = forms.ModelChoiceField(
        label=_("Acts as"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        help_text=_("The key has exactly this user's permissions: an agent's key sees only their inboxes."),
    )
    rate_limit = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=1,
        max_value=100000,
        required=False,
        help_text=_("Empty: the default (100)."),
    )
    message_rate_limit = forms.IntegerField(
        label=_("Message requests per minute"),
        min_value=1,
        max_value=100000,
        required=False,
        help_text=_("Empty: the default (300)."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: never."),
        validators=[validate_expiry],
    )
