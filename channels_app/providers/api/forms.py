from django import forms
from django.utils.translation import gettext_lazy as _

from channels_app.forms import ChannelSetupForm
from core import netguard, signing


class ApiChannelForm(ChannelSetupForm):
    credential_fields = ("secret",)
    generated_credentials = ("secret",)

    callback_url = forms.URLField(
        label=_("Callback URL"),
        required=False,
        max_length=500,
        help_text=_("Where we POST each outgoing message (signed with Standard Webhooks headers)."),
    )
    sandbox = forms.BooleanField(
        label=_("Sandbox"),
        required=False,
        help_text=_("Accept outgoing messages inside the product instead of calling a URL (for trying things out)."),
    )
    secret = forms.CharField(
        label=_("Secret"),
        max_length=200,
        help_text=_("Signs webhooks in both directions. Leave empty to generate one."),
    )

    def clean_callback_url(self):
        url = self.cleaned_data["callback_url"]
        if url:
            try:
                netguard.check_url(url)
            except netguard.UnsafeURL as exc:
                raise forms.ValidationError(str(exc)) from exc
        return url

    def clean(self):
        data = super().clean()
        if not data.get("callback_url") and not data.get("sandbox"):
            raise forms.ValidationError(_("Give a callback URL, or turn on the sandbox."))
        return data

    def credentials_data(self) -> dict:
        credentials = super().credentials_data()
        credentials.setdefault("secret", signing.generate_secret())
        return credentials
