"""Settings pages for channels: list, create (per-kind setup form), edit, test connection."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.decorators import admin_required
from channels_app import registry, services
from channels_app.models import Channel
from channels_app.settings_forms import AssignmentForm, MembersForm


@admin_required
def channel_list(request):
    channels = Channel.objects.select_related("assignment_team").order_by("name")
    return render(
        request,
        "channels_app/channel_list.html",
        {
            "channels": channels,
            "kinds_with_media": [
                (kind, label, registry.adapter_class(kind).medium) for kind, label in registry.kinds()
            ],
            "nav": "settings",
            "section": "channels",
        },
    )


@admin_required
def channel_new(request, kind: str):
    if kind not in registry.ADAPTERS:
        raise Http404
    form = registry.setup_form_class(kind)(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        channel = services.channel_create(
            kind=kind,
            name=form.cleaned_data["name"],
            settings=form.settings_data(),
            credentials=form.credentials_data(),
        )
        account_services.inbox_member_add(channel=channel, user=request.user)
        messages.success(request, _("Channel created. Finish the set-up with the instructions below."))
        return redirect("console:settings-channel", channel_uuid=channel.uuid)
    return render(
        request,
        "channels_app/channel_new.html",
        {
            "form": form,
            "kind": kind,
            "label": registry.adapter_class(kind).label,
            "nav": "settings",
            "section": "channels",
        },
    )


@admin_required
def channel_edit(request, channel_uuid):
    channel = Channel.objects.filter(uuid=channel_uuid).first()
    if channel is None:
        raise Http404
    adapter_cls = registry.adapter_class(channel.kind)
    form_cls = registry.setup_form_class(channel.kind)
    which = request.POST.get("section") if request.method == "POST" else None
    setup = form_cls(
        request.POST if which == "setup" else None, request.FILES if which == "setup" else None, channel=channel
    )
    assignment = AssignmentForm(request.POST if which == "assignment" else None, instance=channel)
    members = MembersForm(request.POST if which == "members" else None, channel=channel)
    if which == "setup" and setup.is_valid():
        services.channel_update(
            channel=channel,
            name=setup.cleaned_data["name"],
            settings=setup.settings_data(),
            credentials=setup.credentials_data(),
        )
        messages.success(request, _("Channel saved."))
        return redirect("console:settings-channel", channel_uuid=channel.uuid)
    if which == "assignment" and assignment.is_valid():
        services.channel_update(
            channel=channel,
            name=channel.name,
            settings=channel.settings,
            credentials=channel.credentials,
            **{f: assignment.cleaned_data[f] for f in AssignmentForm.Meta.fields},
        )
        messages.success(request, _("Assignment settings saved."))
        return redirect("console:settings-channel", channel_uuid=channel.uuid)
    if which == "members" and members.is_valid():
        account_services.inbox_members_set(channel=channel, users=list(members.cleaned_data["members"]))
        messages.success(request, _("Inbox members saved."))
        return redirect("console:settings-channel", channel_uuid=channel.uuid)
    return render(
        request,
        "channels_app/channel_edit.html",
        {
            "channel": channel,
            "label": adapter_cls.label,
            "setup": setup,
            "assignment": assignment,
            "members": members,
            "instructions_template": adapter_cls.instructions_template,
            "nav": "settings",
            "section": "channels",
        },
    )


@admin_required
@require_POST
def channel_check(request, channel_uuid):
    """ "Test connection": the adapter's cheap authenticated call, result shown at once."""
    channel = Channel.objects.filter(uuid=channel_uuid).first()
    if channel is None:
        raise Http404
    result = services.channel_check(channel=channel)
    if result.ok:
        messages.success(request, _("Connection works. %(detail)s") % {"detail": result.detail})
    else:
        messages.error(request, _("Connection failed: %(error)s") % {"error": result.detail})
    return redirect("console:settings-channel", channel_uuid=channel.uuid)
