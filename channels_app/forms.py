"""Channel setup forms: one per provider kind, used by the console settings page and by
`POST/PATCH /api/v1/channels` alike, so a channel is validated the same way wherever it is set up.

A provider's form (in `providers/<kind>/forms.py`, named by the adapter's `setup_form`) declares
its settings fields and its credential fields. Credential fields are write-only: they render
empty with the masked current value as a hint, and a blank submission keeps the stored value.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from core import crypto


class ChannelSetupForm(forms.Form):
    #: names of the fields that go into Channel.credentials (encrypted); the rest go to settings
    credential_fields: tuple[str, ...] = ()
    #: credential fields that may be left blank on creation (e.g. a secret we generate)
    generated_credentials: tuple[str, ...] = ()

    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args, channel=None, **kwargs):
        self.channel = channel
        initial = kwargs.pop("initial", None) or {}
        if channel is not None:
            initial = {"name": channel.name, **{k: v for k, v in channel.settings.items()}, **initial}
        super().__init__(*args, initial=initial, **kwargs)
        stored = channel.credentials if channel is not None else {}
        for name in self.credential_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if channel is not None and stored.get(name):
                field.required = False
                field.help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": crypto.mask(stored[name])
                }
            elif name in self.generated_credentials:
                field.required = False

    def settings_data(self) -> dict:
        """The non-secret configuration, merged over what the channel already has."""
        current = dict(self.channel.settings) if self.channel is not None else {}
        for name, value in self.cleaned_data.items():
            if name != "name" and name not in self.credential_fields:
                current[name] = value
        return current

    def credentials_data(self) -> dict:
        """The secrets: stored ones kept unless a new value was typed."""
        current = dict(self.channel.credentials) if self.channel is not None else {}
        for name in self.credential_fields:
            value = self.cleaned_data.get(name)
            if value:
                current[name] = value
        return current

    def masked_credentials(self) -> dict:
        return crypto.mask_mapping(self.channel.credentials) if self.channel is not None else {}
