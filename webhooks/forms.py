from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks import catalog


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("A public http(s) address; private and loopback addresses are refused."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose none to receive every event."),
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(name, f"{name} — {text}") for name, text in catalog.EVENTS.items()]

    def clean_events(self):
        return self.cleaned_data["events"] or [catalog.ALL]
