"""Profile, availability, language, and the agents and teams settings pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.decorators import admin_required
from accounts.forms import AgentForm, ProfileForm, TeamForm
from accounts.language import remember_language
from accounts.models import Team, User
from core.forms import save_unless_taken


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(user=request.user, **{k: form.cleaned_data[k] for k in form.Meta.fields})
        messages.success(request, _("Profile saved."))
        return remember_language(redirect("console:profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form, "nav": "profile"})


@login_required
@require_POST
def availability(request):
    value = request.POST.get("availability", "")
    if value not in User.Availability.values:
        raise Http404
    services.user_set_availability(user=request.user, availability=value)
    return redirect(_back(request))


@login_required
@require_POST
def language(request):
    from django.conf import settings

    value = request.POST.get("language", "")
    if value not in dict(settings.LANGUAGES):
        raise Http404
    services.language_set(user=request.user, language=value)
    return remember_language(redirect(_back(request)), value)


def _back(request) -> str:
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


# --- settings: agents ------------------------------------------------------------------------
@admin_required
def agent_list(request):
    agents = User.objects.order_by("first_name", "username").prefetch_related("teams", "inbox_memberships__channel")
    return render(request, "accounts/agent_list.html", {"agents": agents, "nav": "settings", "section": "agents"})


@admin_required
def agent_edit(request, user_uuid=None):
    agent = User.objects.filter(uuid=user_uuid).first() if user_uuid else None
    if user_uuid and agent is None:
        raise Http404
    form = AgentForm(request.POST or None, instance=agent)
    if request.method == "POST" and form.is_valid():
        created = agent is None
        agent = services.agent_save(form=form, inboxes=form.cleaned_data["inboxes"], teams=form.cleaned_data["teams"])
        if created:
            _send_invitation(request, agent)
            messages.success(
                request, _("%(name)s was invited by e-mail to choose a password.") % {"name": agent.display_name}
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("console:settings-agents")
    return render(
        request, "accounts/agent_form.html", {"form": form, "agent": agent, "nav": "settings", "section": "agents"}
    )


def _send_invitation(request, user: User) -> None:
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.txt",
        )


# --- settings: teams -------------------------------------------------------------------------
@admin_required
def team_list(request):
    teams = Team.objects.prefetch_related("members")
    return render(request, "accounts/team_list.html", {"teams": teams, "nav": "settings", "section": "teams"})


@admin_required
def team_edit(request, team_uuid=None):
    team = Team.objects.filter(uuid=team_uuid).first() if team_uuid else None
    if team_uuid and team is None:
        raise Http404
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid() and save_unless_taken(form, services.team_save) is not None:
        messages.success(request, _("Team saved."))
        return redirect("console:settings-teams")
    return render(
        request, "accounts/team_form.html", {"form": form, "team": team, "nav": "settings", "section": "teams"}
    )
