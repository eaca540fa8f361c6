"""Setting up a WhatsApp number (console settings and `POST /api/v1/channels`, kind whatsapp), and
the Meta app record several numbers can share."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from channels_app.forms import ChannelSetupForm
from channels_app.models import Channel
from channels_app.providers.whatsapp.models import MetaApp
from contacts import identities
from core import crypto


def _sandbox_id() -> str:
    return "9" + "".join(str(secrets.randbelow(10)) for _ in range(14))


class WhatsAppChannelForm(ChannelSetupForm):
    """A number either has its own app secret and verify token (its own webhook URL), or names a
    Meta app whose shared ones are used (the app-level URL serves all its numbers; the channel's
    own URL keeps working too). In sandbox mode everything is generated and sends go to the
    product's built-in Graph stand-in, never to Meta."""

    credential_fields = ("access_token", "app_secret", "verify_token")
    generated_credentials = ("access_token", "app_secret", "verify_token")

    sandbox = forms.BooleanField(
        label=_("Sandbox"),
        required=False,
        help_text=_(
            "Try WhatsApp without a Meta account: messages go to the built-in sandbox and the simulator plays "
            "the customer. A sandbox channel never reaches a real phone."
        ),
    )
    phone_number_id = forms.CharField(
        label=_("Phone number ID"),
        required=False,
        max_length=32,
        help_text=_("In Meta's WhatsApp Manager → API Setup. This is an id, not the phone number itself."),
    )
    waba_id = forms.CharField(
        label=_("WhatsApp Business Account ID"),
        required=False,
        max_length=32,
        help_text=_("Templates are synced from this account."),
    )
    display_phone_number = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=32,
        help_text=_("As customers see it, e.g. +55 11 4000-0000. Shown to agents only."),
    )
    meta_app = forms.ModelChoiceField(
        label=_("Meta app"),
        queryset=MetaApp.objects.filter(is_active=True),
        required=False,
        to_field_name="uuid",
        help_text=_("Choose it when one Meta app serves several numbers: its app secret and verify token are used."),
    )
    media_by_link = forms.BooleanField(
        label=_("Send files by link"),
        required=False,
        help_text=_(
            "Let Meta fetch files from this server's signed links instead of uploading them (needs a public URL)."
        ),
    )
    access_token = forms.CharField(
        label=_("Access token"),
        max_length=1000,
        help_text=_("A System User token with whatsapp_business_messaging and whatsapp_business_management."),
    )
    app_secret = forms.CharField(
        label=_("App secret"),
        max_length=200,
        help_text=_("Meta app dashboard → Settings → Basic. Checks that webhooks really come from Meta."),
    )
    verify_token = forms.CharField(
        label=_("Verify token"),
        max_length=200,
        help_text=_("Any string you paste into Meta's webhook settings. Leave empty to generate one."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.credential_fields:
            self.fields[name].required = False  # which are needed depends on the mode: see clean()
        if self.channel is not None and self.channel.settings.get("meta_app"):
            self.initial.setdefault("meta_app", self.channel.settings["meta_app"])

    def clean_phone_number_id(self):
        value = self.cleaned_data["phone_number_id"].strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("The phone number ID is a number Meta shows in API Setup (digits only)."))
        return value

    def clean_waba_id(self):
        value = self.cleaned_data["waba_id"].strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("The WhatsApp Business Account ID is digits only."))
        return value

    def clean_display_phone_number(self):
        """Stored normalised (E.164, e.g. +551140000000), like every phone number in the product."""
        value = self.cleaned_data["display_phone_number"].strip()
        if not value:
            return ""
        try:
            return identities.normalize_phone(value)
        except identities.InvalidAddress:
            if value == self._setting("display_phone_number"):
                return value  # saved before numbers were checked: editing other fields keeps it
            raise forms.ValidationError(
                _("This is not a valid phone number. Write it with the country code, e.g. +55 11 4000-0000.")
            ) from None

    def clean_meta_app(self):
        app = self.cleaned_data.get("meta_app")
        return str(app.uuid) if app else ""

    def _stored(self, name: str) -> str:
        return (self.channel.credentials.get(name, "") if self.channel is not None else "") or ""

    def clean(self):
        data = super().clean()
        sandbox = data.get("sandbox")
        if self.channel is not None and bool(self.channel.settings.get("sandbox")) != bool(sandbox):
            # A sandbox number must never turn into a real one with its fake history, or back.
            raise forms.ValidationError(_("A channel cannot switch between sandbox and real: create a new channel."))
        if sandbox:
            # Visible wherever the channel's name is (inbox, headers, lists): never taken for a real number.
            name = data.get("name") or ""
            if name and "sandbox" not in name.lower():
                data["name"] = (_("%(name)s (sandbox)") % {"name": name})[:100]
            data["phone_number_id"] = data.get("phone_number_id") or self._setting("phone_number_id") or _sandbox_id()
            data["waba_id"] = data.get("waba_id") or self._setting("waba_id") or _sandbox_id()
            data["display_phone_number"] = (
                data.get("display_phone_number")
                or self._setting("display_phone_number")
                or "+1555010" + data["phone_number_id"][-4:]
            )
            data["media_by_link"] = False
        else:
            for name in ("phone_number_id", "waba_id"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
            if not (data.get("access_token") or self._stored("access_token")):
                self.add_error("access_token", _("This field is required."))
            if not data.get("meta_app") and not (data.get("app_secret") or self._stored("app_secret")):
                self.add_error("app_secret", _("Give the app secret, or choose the Meta app that serves this number."))
        number = data.get("phone_number_id")
        if number:
            clash = Channel.objects.filter(kind="whatsapp", settings__phone_number_id=number)
            if self.channel is not None:
                clash = clash.exclude(pk=self.channel.pk)
            if clash.exists():
                self.add_error("phone_number_id", _("Another channel already uses this phone number ID."))
        return data

    def _setting(self, name: str) -> str:
        return str(self.channel.settings.get(name) or "") if self.channel is not None else ""

    def credentials_data(self) -> dict:
        credentials = super().credentials_data()
        if self.cleaned_data.get("sandbox"):
            credentials.setdefault("access_token", "sandbox-" + secrets.token_urlsafe(24))
            credentials.setdefault("app_secret", secrets.token_hex(16))
        if not self.cleaned_data.get("meta_app"):
            from channels_app.providers.whatsapp.services import generate_verify_token

            credentials.setdefault("verify_token", generate_verify_token())
        return credentials


class MetaAppForm(forms.Form):
    """A Meta app shared by several numbers: one callback URL, one verify token, one app secret."""

    name = forms.CharField(label=_("Name"), max_length=100)
    app_id = forms.CharField(label=_("Meta app ID"), max_length=64, required=False)
    app_secret = forms.CharField(
        label=_("App secret"),
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    verify_token = forms.CharField(
        label=_("Verify token"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one (or to keep the stored one)."),
    )

    def __init__(self, *args, app: MetaApp | None = None, **kwargs):
        self.app = app
        if app is not None:
            kwargs.setdefault("initial", {"name": app.name, "app_id": app.app_id})
        super().__init__(*args, **kwargs)
        if app is not None:
            self.fields["app_secret"].required = False
            self.fields["app_secret"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": crypto.mask(app.credentials.get("app_secret", ""))
            }

    def credentials_data(self) -> dict:
        current = dict(self.app.credentials) if self.app is not None else {}
        for name in ("app_secret", "verify_token"):
            if self.cleaned_data.get(name):
                current[name] = self.cleaned_data[name]
        return current
