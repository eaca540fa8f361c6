from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_app.models import Channel


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["assignment_strategy", "assignment_team", "sticky_assignment"]


class AgentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.display_name} ({user.email})" if user.email else user.display_name


class MembersForm(forms.Form):
    members = AgentChoiceField(
        label=_("Agents who work this inbox"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, channel, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].initial = list(channel.memberships.values_list("user_id", flat=True))
