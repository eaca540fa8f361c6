from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from conversations.models import MESSAGE_MAX_LENGTH, Conversation, Label
from conversations.selectors import agents_for_channel
from core.parse import uuid_or_none
from core.validators import not_too_far_ahead


class ComposerForm(forms.Form):
    content = forms.CharField(
        label=_("Message"), required=False, max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    private = forms.BooleanField(label=_("Private note"), required=False)


class AssignForm(forms.Form):
    assignee = forms.CharField(required=False)  # a user uuid, "me", or empty to unassign
    team = forms.CharField(required=False)  # a team uuid, or empty to keep the team

    def __init__(self, *args, channel, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.user = user

    def clean_assignee(self):
        value = self.cleaned_data["assignee"].strip()
        if not value:
            return None
        if value == "me":
            value = str(self.user.uuid)
        assignee = agents_for_channel(self.channel).filter(uuid=uuid_or_none(value)).first()
        if assignee is None:
            raise forms.ValidationError(_("That agent does not work this inbox."))
        return assignee

    def clean_team(self):
        value = self.cleaned_data["team"].strip()
        if not value:
            return None
        team = Team.objects.filter(uuid=uuid_or_none(value)).first()
        if team is None:
            raise forms.ValidationError(_("Unknown team."))
        return team


def snooze_preset_until(preset: str, *, now):
    """The moment a snooze preset means, from `now` in the agent's time zone: in an hour,
    tomorrow at 9:00, next Monday at 9:00."""
    if preset == "1h":
        return now + timedelta(hours=1)
    morning = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if preset == "tomorrow":
        return morning + timedelta(days=1)
    return morning + timedelta(days=7 - now.weekday())  # next_week: the coming Monday


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Conversation.Status.choices, required=False)
    snoozed_until = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), validators=[not_too_far_ahead]
    )
    snooze_for = forms.ChoiceField(
        choices=[("1h", _("For 1 hour")), ("tomorrow", _("Until tomorrow")), ("next_week", _("Until next Monday"))],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("snooze_for"):
            data["status"] = Conversation.Status.SNOOZED
            data["snoozed_until"] = snooze_preset_until(data["snooze_for"], now=timezone.localtime())
        if not data.get("status"):
            raise forms.ValidationError(_("Choose a status."))
        if data.get("status") == Conversation.Status.SNOOZED:
            until = data.get("snoozed_until")
            if until is None:
                raise forms.ValidationError(_("Choose until when to snooze."))
            if until <= timezone.now():
                raise forms.ValidationError(_("Choose a time in the future to snooze until."))
        return data


class LabelsForm(forms.Form):
    labels = forms.ModelMultipleChoiceField(queryset=Label.objects.all(), required=False, to_field_name="name")
