import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from channels_app.models import Channel
from channels_app.settings_forms import AgentChoiceField


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in zones]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another user has this e-mail address."))
        return email


class AgentForm(forms.ModelForm):
    inboxes = forms.ModelMultipleChoiceField(
        label=_("Inboxes"), queryset=Channel.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "max_open_conversations", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        if self.instance.pk:
            self.fields["inboxes"].initial = list(self.instance.inbox_memberships.values_list("channel_id", flat=True))
            self.fields["teams"].initial = list(self.instance.teams.values_list("pk", flat=True))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another user has this e-mail address."))
        return email


class TeamForm(forms.ModelForm):
    members = AgentChoiceField(
        label=_("Members"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Team
        fields = ["name", "description", "members"]
