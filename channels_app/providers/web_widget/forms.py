"""The widget's setup form (console settings and API alike) and the visitors' pre-chat form."""

import base64
import json
import zoneinfo
from functools import cache

from django import forms
from django.core.validators import RegexValidator
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels_app.forms import ChannelSetupForm
from channels_app.providers.web_widget import bot, config, office_hours, security
from contacts import identities
from conversations.attachments import prepare_file
from core.exceptions import PolicyViolation

MODES = [("off", _("Not asked")), ("optional", _("Optional")), ("required", _("Required"))]
LOGO_MAX_BYTES = 200 * 1024


def example_flow() -> str:
    """A small bot flow, its texts in the reader's language (the node names are keys, not text)."""
    start = {
        "text": gettext("Hi! What can we help you with?"),
        "buttons": [
            {"label": gettext("My order"), "goto": "orders"},
            {"label": gettext("Talk to a person"), "handoff": True},
        ],
    }
    orders = {
        "text": gettext("Track it at example.com/orders."),
        "buttons": [{"label": gettext("Back"), "goto": "start"}],
    }
    start, orders = json.dumps(start, ensure_ascii=False), json.dumps(orders, ensure_ascii=False)
    return f'{{"start": {start},\n "orders": {orders}}}'


@cache
def _zone_names() -> tuple[str, ...]:
    """Every time zone this server knows, America/Sao_Paulo (the default) first, then A to Z."""
    others = sorted(zoneinfo.available_timezones() - {config.DEFAULT_TIME_ZONE})
    return (config.DEFAULT_TIME_ZONE, *others)


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


class TimeZoneField(forms.ChoiceField):
    """A select of the known time zones, so that a typo cannot be saved; a zone stored before
    that this server's list lacks but still reads (an alias) is kept as a choice."""

    def __init__(self, **kwargs):
        super().__init__(choices=lambda: [(name, name.replace("_", " ")) for name in _zone_names()], **kwargs)

    def keep(self, stored: str) -> None:
        if stored and stored not in _zone_names() and _is_zone(stored):
            self.choices = [(stored, stored.replace("_", " ")), *self.choices]

    def validate(self, value):
        forms.Field.validate(self, value)
        if value and not self.valid_value(value):
            # The message office_hours.parse gives, so API clients read the same refusal as before.
            raise forms.ValidationError(gettext("Unknown time zone %(zone)s.") % {"zone": value}, code="invalid_choice")


def _bot_flow_help() -> str:
    # Formatted when shown, not at import, so that it is in the reader's language.
    return gettext(
        "JSON: nodes with a text and buttons; each button goes to a node or hands off. Example: %(example)s"
    ) % {"example": example_flow()}


class WebWidgetForm(ChannelSetupForm):
    credential_fields = ("identity_secret",)

    allowed_domains = forms.CharField(
        label=_("Allowed sites"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Where the widget may appear: domains or addresses separated by commas or lines, e.g. "
            "“example.com, *.example.com, https://shop.example.com”. “*” allows any site. "
            "This helpdesk's own address is always allowed (demo page, preview)."
        ),
    )
    title = forms.CharField(
        label=_("Title"), max_length=60, required=False, help_text=_("Shown at the top of the chat.")
    )
    color = forms.CharField(
        label=_("Colour"),
        initial=config.DEFAULT_COLOR,
        max_length=7,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #2f6feb."))],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    position = forms.ChoiceField(
        label=_("Position"), choices=[("right", _("Bottom right")), ("left", _("Bottom left"))], initial="right"
    )
    launcher_text = forms.CharField(
        label=_("Launcher text"),
        max_length=40,
        required=False,
        help_text=_("Next to the chat button; empty for an icon only."),
    )
    greeting = forms.CharField(
        label=_("Greeting"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown when a visitor opens the chat."),
    )
    away_message = forms.CharField(
        label=_("Away message"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent outside office hours."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("auto", _("The visitor's browser language")), ("pt-br", "Português (Brasil)"), ("en", "English")],
        initial="auto",
    )
    logo = forms.FileField(
        label=_("Logo or avatar"), required=False, help_text=_("PNG, JPEG, GIF or WebP, up to 200 KB.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    prechat_enabled = forms.BooleanField(label=_("Ask visitors who they are before the chat starts"), required=False)
    prechat_name = forms.ChoiceField(label=_("Name"), choices=MODES, initial="required")
    prechat_email = forms.ChoiceField(label=_("E-mail"), choices=MODES, initial="optional")
    prechat_phone = forms.ChoiceField(label=_("Phone"), choices=MODES, initial="off")
    prechat_custom = forms.CharField(
        label=_("More pre-chat fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line; end with * to make it required, e.g. “Order number*”. Stored on the contact."),
    )

    office_hours = forms.CharField(
        label=_("Office hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One rule per line: days, then hours, e.g. “seg-sex 09:00-18:00” or “segunda a sexta-feira "
            "09:00-12:00 13:00-18:00”. Days in Portuguese or English, short or in full (“sáb”, “sábado”, "
            "“sat”, “saturday”). Empty: always open."
        ),
    )
    time_zone = TimeZoneField(label=_("Time zone"), initial=config.DEFAULT_TIME_ZONE)
    capture_email = forms.BooleanField(
        label=_("Outside office hours, ask for the visitor's e-mail address"), required=False, initial=True
    )

    bot_enabled = forms.BooleanField(
        label=_("Bot"),
        required=False,
        help_text=_(
            "Answers first with the flow and FAQ below, and hands over to a person when asked or when it does "
            "not understand."
        ),
    )
    # Stored as JSON text (a scalar, like every setting, so the REST API can read and write it).
    bot_flow = forms.CharField(
        label=_("Bot flow"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=lazy(_bot_flow_help, str)(),
    )
    bot_faq = forms.CharField(
        label=_("Keyword answers (FAQ)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: keywords, then => and the answer, e.g. “price, cost => Plans start at R$ 49.”"),
    )
    handoff_keywords = forms.CharField(
        label=_("Hand-off keywords"),
        required=False,
        initial=bot.DEFAULT_HANDOFF_KEYWORDS,
        max_length=500,
        help_text=_("Comma-separated words that make the bot pass the visitor to a person."),
    )

    uploads = forms.ChoiceField(
        label=_("Files from visitors"),
        choices=[("documents", _("Images and documents")), ("images", _("Images only")), ("off", _("No files"))],
        initial="documents",
    )
    max_upload_mb = forms.IntegerField(
        label=_("Largest file (MB)"), min_value=1, max_value=25, initial=config.DEFAULT_MAX_UPLOAD_MB
    )
    require_verified = forms.BooleanField(
        label=_("Only signed-in users of my site may chat"),
        required=False,
        help_text=_("Visitors without a valid identity signature cannot send messages."),
    )
    identity_secret = forms.CharField(
        label=_("Identity verification secret"),
        required=False,
        min_length=16,
        max_length=200,
        help_text=_(
            "Your site signs each user id with it (HMAC-SHA256). Generate one, e.g. with “openssl rand -hex 32”."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.channel is not None:
            self.fields["time_zone"].keep(str(self.channel.settings.get("time_zone") or ""))

    def clean_allowed_domains(self):
        value = self.cleaned_data["allowed_domains"]
        try:
            sites = security.parse_sites(value)
        except security.InvalidDomain as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not sites:
            raise forms.ValidationError(_("Name at least one site, or “*” for any site."))
        return ", ".join(value.replace(",", " ").split())

    def clean_prechat_custom(self):
        value = self.cleaned_data["prechat_custom"]
        try:
            config.custom_fields(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return value.strip()

    def clean_office_hours(self):
        return self.cleaned_data["office_hours"].strip()

    def clean_bot_flow(self):
        value = self.cleaned_data["bot_flow"].strip()
        try:
            flow = bot.parse_flow(value)
        except bot.InvalidBotConfig as exc:
            raise forms.ValidationError(str(exc)) from exc
        return json.dumps(bot.flow_as_data(flow), indent=2, ensure_ascii=False) if flow else ""

    def clean_bot_faq(self):
        value = self.cleaned_data["bot_faq"]
        try:
            bot.parse_faq(value)
        except bot.InvalidBotConfig as exc:
            raise forms.ValidationError(str(exc)) from exc
        return value.strip()

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload or isinstance(upload, str):
            return None  # nothing new (a FileField hands back the stored value): keep the current logo
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be at most 200 KB."))
        data = upload.read()
        try:
            stored = prepare_file(name=upload.name, data=data, max_bytes=LOGO_MAX_BYTES, allowed=config.IMAGE_TYPES)
        except PolicyViolation as exc:
            raise forms.ValidationError(exc.message) from exc
        return f"data:{stored.content_type};base64,{base64.b64encode(data).decode()}"

    def clean(self):
        data = super().clean()
        if data.get("office_hours") is not None and "time_zone" in data:
            try:
                office_hours.parse(data["office_hours"], data["time_zone"])
            except office_hours.InvalidOfficeHours as exc:
                # A zone the select let through but this server cannot read is the zone's fault.
                self.add_error("office_hours" if _is_zone(data["time_zone"]) else "time_zone", str(exc))
        if data.get("bot_enabled") and not data.get("bot_flow") and not (data.get("bot_faq") or "").strip():
            self.add_error("bot_flow", _("Give the bot a flow or keyword answers, or turn it off."))
        stored_secret = self.channel.credentials.get("identity_secret") if self.channel is not None else ""
        if data.get("require_verified") and not (data.get("identity_secret") or stored_secret):
            self.add_error("identity_secret", _("Set a secret to verify your users with, or let anyone chat."))
        return data

    def settings_data(self) -> dict:
        current_logo = self.channel.settings.get("logo", "") if self.channel is not None else ""
        values = super().settings_data()
        new_logo, remove = values.pop("logo", None), values.pop("remove_logo", False)
        if new_logo:
            values["logo"] = new_logo
        elif current_logo and not remove:
            values["logo"] = current_logo
        return values


class PrechatForm(forms.Form):
    """The visitor's pre-chat form, built from the widget's fields (config.prechat_fields)."""

    def __init__(self, *args, fields: list[config.PrechatField], **kwargs):
        super().__init__(*args, **kwargs)
        for field in fields:
            if field.kind == "email":
                form_field = forms.EmailField(label=field.label, required=field.required, max_length=254)
            else:
                form_field = forms.CharField(label=field.label, required=field.required, max_length=255)
            self.fields[field.key] = form_field
        self.kinds = {f.key: f.kind for f in fields}

    def clean(self):
        data = super().clean()
        for key, kind in self.kinds.items():
            value = data.get(key)
            if kind == "phone" and value:
                try:
                    data[key] = identities.normalize_phone(value)
                except identities.InvalidAddress:
                    self.add_error(key, _("Enter a phone number with its area code, e.g. +55 11 98765-4321."))
            elif kind == "email" and value:
                data[key] = value.strip().lower()
        return data
