import ipaddress

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels_app.forms import ChannelSetupForm
from channels_app.providers.email import config, oauth

SECURITY = [
    ("ssl", _("TLS (implicit, e.g. port 993/995/465)")),
    ("starttls", _("STARTTLS (e.g. port 143/110/587)")),
    ("none", _("None (only for a server on this machine)")),
]
POLL_INTERVALS = [
    (30, _("Every 30 seconds")),
    (60, _("Every minute")),
    (120, _("Every 2 minutes")),
    (300, _("Every 5 minutes")),
    (900, _("Every 15 minutes")),
]


class EmailChannelForm(ChannelSetupForm):
    credential_fields = ("password", "smtp_password")

    address = forms.EmailField(label=_("E-mail address"), help_text=_("The mailbox customers write to."))
    display_name = forms.CharField(
        label=_("Display name"), max_length=100, help_text=_('Shown as the sender, e.g. "Acme Support".')
    )
    auth_method = forms.ChoiceField(
        label=_("Sign-in"),
        choices=[
            (config.PASSWORD, _("Password (any IMAP/POP3/SMTP server)")),
            (config.GOOGLE, _("Google Workspace / Gmail (OAuth)")),
            (config.MICROSOFT, _("Microsoft 365 / Outlook.com (OAuth)")),
        ],
        initial=config.PASSWORD,
    )
    username = forms.CharField(
        label=_("User name"), required=False, max_length=200, help_text=_("Leave empty to use the e-mail address.")
    )
    password = forms.CharField(label=_("Password"), required=False, max_length=500)
    protocol = forms.ChoiceField(label=_("Receive with"), choices=[("imap", "IMAP"), ("pop3", "POP3")], initial="imap")
    inbound_host = forms.CharField(label=_("IMAP/POP3 server"), required=False, max_length=200)
    inbound_port = forms.IntegerField(label=_("Port"), required=False, min_value=1, max_value=65535)
    inbound_security = forms.ChoiceField(label=_("Security"), choices=SECURITY, initial="ssl")
    folder = forms.CharField(label=_("Folder"), required=False, max_length=200, initial="INBOX")
    after_fetch = forms.ChoiceField(
        label=_("After fetching a mail"),
        choices=[("seen", _("Mark it read")), ("delete", _("Delete it from the server"))],
        initial="seen",
    )
    smtp_host = forms.CharField(label=_("SMTP server"), required=False, max_length=200)
    smtp_port = forms.IntegerField(label=_("SMTP port"), required=False, min_value=1, max_value=65535)
    smtp_security = forms.ChoiceField(label=_("SMTP security"), choices=SECURITY, initial="starttls")
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, max_length=500, help_text=_("Only if it differs from the password.")
    )
    poll_interval = forms.TypedChoiceField(
        label=_("Check for new mail"), choices=POLL_INTERVALS, coerce=int, initial=60
    )
    import_since = forms.DateField(
        label=_("Import mail received since"),
        required=False,
        help_text=_("On the first connection only. Leave empty to import only mail that arrives from now on."),
    )
    signature = forms.CharField(label=_("Signature"), required=False, max_length=2000, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Credential fields are checked in clean(): OAuth mailboxes have no password.
        for name in self.credential_fields:
            self.fields[name].required = False

    def clean_import_since(self):
        value = self.cleaned_data.get("import_since")
        if not value:
            return ""
        stored = self.channel.settings.get("import_since") if self.channel is not None else None
        if value > timezone.localdate() and value.isoformat() != stored:
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value.isoformat()

    def clean_folder(self):
        return (self.cleaned_data.get("folder") or "INBOX").strip()

    def clean(self):
        data = super().clean()
        method = data.get("auth_method")
        protocol = data.get("protocol") or "imap"
        if method in config.OAUTH_PROVIDERS:
            if not oauth.is_configured(method):
                raise forms.ValidationError(
                    _(
                        "Signing in with this provider is not set up on this server: ask the administrator "
                        "to set its OAuth client id and secret."
                    )
                )
            preset = config.PRESETS[method]
            host, port, security = preset[protocol]
            data.setdefault("inbound_host", "")
            if not data.get("inbound_host"):
                data.update(inbound_host=host, inbound_port=port, inbound_security=security)
            if not data.get("smtp_host"):
                smtp_host, smtp_port, smtp_security = preset["smtp"]
                data.update(smtp_host=smtp_host, smtp_port=smtp_port, smtp_security=smtp_security)
        else:
            stored = self.channel.credentials if self.channel is not None else {}
            if not data.get("password") and not stored.get("password"):
                self.add_error("password", _("Enter the mailbox password."))
            for name in ("inbound_host", "smtp_host"):
                if not data.get(name):
                    self.add_error(name, _("Enter the server name."))
        for prefix, defaults in (("inbound", {"ssl": 993 if protocol == "imap" else 995}), ("smtp", {"ssl": 465})):
            security = data.get(f"{prefix}_security")
            if not data.get(f"{prefix}_port") and data.get(f"{prefix}_host"):
                fallback = {"starttls": 143 if protocol == "imap" else 110, "none": 143 if protocol == "imap" else 110}
                if prefix == "smtp":
                    fallback = {"starttls": 587, "none": 25}
                data[f"{prefix}_port"] = defaults.get(security) or fallback.get(security)
            if security == "none" and data.get(f"{prefix}_host") and not _is_local(data[f"{prefix}_host"]):
                self.add_error(
                    f"{prefix}_security",
                    _("Without TLS the password would cross the network in clear text: use TLS or STARTTLS."),
                )
        return data


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
