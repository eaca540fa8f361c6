"""WhatsApp pages in the agent console: send a template (with its parameters and a preview),
start a conversation with a template, the templates of a channel (sync now), the Meta apps shared
by several numbers, and the simulator (the customer's phone) for sandbox channels.

Views translate: authorisation through conversations.selectors (what a user may not see is a
404), writes through services, errors from services shown as they are.
"""

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required
from channels_app.adapters import ChannelError
from channels_app.providers.whatsapp import selectors, services, templating
from channels_app.providers.whatsapp.forms import MetaAppForm
from channels_app.providers.whatsapp.models import MessageTemplate
from conversations import selectors as access
from core.exceptions import ApplicationError


def _template_parameters(post) -> dict:
    """Form fields named `<component>.<key>` (body.1, header.link, buttons.0) → parameters."""
    parameters: dict[str, dict[str, str]] = {"header": {}, "body": {}, "buttons": {}}
    for name, value in post.items():
        component, _sep, key = name.partition(".")
        if component in parameters and key:
            parameters[component][key] = value
    return parameters


def _picker_context(channel, template: MessageTemplate | None, parameters: dict | None) -> dict:
    templates = list(selectors.templates_for_channel(channel))
    fields = templating.fields(template.components) if template else []
    values = templating.normalise(parameters) if parameters else {"header": {}, "body": {}, "buttons": {}}
    return {
        "templates": templates,
        "template": template,
        "fields": [
            {"field": f, "name": f"{f.component}.{f.key}", "value": values[f.component].get(f.key, "")} for f in fields
        ],
        "preview": templating.preview(template.components, parameters) if template else "",
    }


def _template_or_none(channel, value) -> MessageTemplate | None:
    uuid = _uuid(value)
    return selectors.template_get_for_channel(channel=channel, uuid=uuid) if uuid else None


def _uuid(value):
    try:
        return uuid_module.UUID(str(value))
    except ValueError:
        return None


@login_required
def template_compose(request, conversation_uuid):
    """Pick a template for a WhatsApp conversation, fill its parameters, preview, send."""
    conversation = access.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    if conversation.channel.kind != "whatsapp":
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    template = _template_or_none(conversation.channel, source.get("template"))
    parameters = _template_parameters(source) if template else None
    status, error = 200, ""
    if request.method == "POST" and source.get("action") == "send" and template is not None:
        try:
            services.template_message_send(
                conversation=conversation, template=template, parameters=parameters, sender=request.user
            )
        except ApplicationError as exc:
            status, error = exc.status_code, exc.message
        else:
            messages.success(request, _("Template queued."))
            return redirect("console:conversation", conversation_uuid=conversation.uuid)
    context = {**_picker_context(conversation.channel, template, parameters), "conversation": conversation}
    if request.htmx and source.get("action") == "preview":
        return render(request, "whatsapp/_template_preview.html", context)
    return render(request, "whatsapp/template_compose.html", {**context, "error": error, "nav": "inbox"}, status=status)


@login_required
def conversation_new(request):
    """Start a WhatsApp conversation with a contact or a phone number, with an approved template."""
    channels = list(access.channels_for_user(request.user).filter(kind="whatsapp", is_active=True).order_by("name"))
    source = request.POST if request.method == "POST" else request.GET
    channel = next((c for c in channels if str(c.uuid) == source.get("channel")), channels[0] if channels else None)
    contact = None
    if source.get("contact"):
        contact = access.contacts_for_user(request.user).filter(uuid=_uuid(source.get("contact"))).first()
        if contact is None:
            raise Http404
    phone = source.get("phone", "").strip()
    template = _template_or_none(channel, source.get("template")) if channel else None
    parameters = _template_parameters(source) if template else None
    status, error, phone_error = 200, "", ""
    if request.method == "POST" and source.get("action") == "send":
        if channel is None or template is None:
            status, error = 400, _("Choose a WhatsApp channel and a template.")
        else:
            try:
                message = services.conversation_start(
                    channel=channel,
                    template=template,
                    parameters=parameters,
                    sender=request.user,
                    contact=contact,
                    phone=phone,
                )
            except ApplicationError as exc:
                status = exc.status_code
                # A refusal about the number goes under the number's field; others above the form.
                phone_error = " ".join(exc.extra.get("fields", {}).get("phone", []))
                error = "" if phone_error else exc.message
            else:
                messages.success(request, _("Conversation started: the template is on its way."))
                return redirect("console:conversation", conversation_uuid=message.conversation.uuid)
    context = {
        **(_picker_context(channel, template, parameters) if channel else {"templates": [], "fields": []}),
        "channels": channels,
        "channel": channel,
        "contact": contact,
        "phone": phone,
        "error": error,
        "phone_error": phone_error,
        "nav": "inbox",
    }
    if request.htmx and source.get("action") == "preview":
        return render(request, "whatsapp/_template_preview.html", context)
    return render(request, "whatsapp/conversation_new.html", context, status=status)


@admin_required
def channel_templates(request, channel_uuid):
    """The templates of a WhatsApp channel's business account, with "sync now"."""
    channel = access.channels_for_user(request.user).filter(uuid=channel_uuid, kind="whatsapp").first()
    if channel is None:
        raise Http404
    if request.method == "POST":
        try:
            count = services.template_sync(channel=channel)
        except (ChannelError, ApplicationError) as exc:
            messages.error(request, _("Templates could not be synced: %(error)s") % {"error": exc.message})
        else:
            messages.success(
                request,
                ngettext("%(count)s template synced from Meta.", "%(count)s templates synced from Meta.", count)
                % {"count": count},
            )
        return redirect("console:whatsapp-templates", channel_uuid=channel.uuid)
    templates = [(t, templating.preview(t.components)) for t in selectors.templates_for_channel(channel)]
    return render(
        request,
        "whatsapp/channel_templates.html",
        {"channel": channel, "templates": templates, "nav": "settings", "section": "channels"},
    )


@admin_required
def meta_apps(request):
    """Meta apps whose one webhook URL serves several numbers."""
    form = MetaAppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        app = services.meta_app_create(
            name=form.cleaned_data["name"],
            app_id=form.cleaned_data["app_id"],
            app_secret=form.cleaned_data["app_secret"],
            verify_token=form.cleaned_data["verify_token"],
        )
        messages.success(request, _("Meta app saved. Paste its callback URL and verify token into Meta's dashboard."))
        return redirect("console:whatsapp-meta-app", app_uuid=app.uuid)
    return render(
        request,
        "whatsapp/meta_apps.html",
        {"apps": list(selectors.meta_apps()), "form": form, "nav": "settings", "section": "whatsapp-apps"},
    )


@admin_required
def meta_app_edit(request, app_uuid):
    app = selectors.meta_apps().filter(uuid=app_uuid).first()
    if app is None:
        raise Http404
    form = MetaAppForm(request.POST or None, app=app)
    if request.method == "POST" and form.is_valid():
        services.meta_app_update(
            app=app,
            name=form.cleaned_data["name"],
            app_id=form.cleaned_data["app_id"],
            credentials=form.credentials_data(),
        )
        messages.success(request, _("Meta app saved."))
        return redirect("console:whatsapp-meta-app", app_uuid=app.uuid)
    return render(
        request,
        "whatsapp/meta_app_edit.html",
        {
            "app": app,
            "form": form,
            "channels": list(selectors.channels_of_meta_app(app)),
            "nav": "settings",
            "section": "whatsapp-apps",
        },
    )


def _sandbox_channel_for(request, channel_uuid):
    channel = access.channels_for_user(request.user).filter(uuid=channel_uuid, kind="whatsapp").first()
    if channel is None or not channel.settings.get("sandbox"):
        raise Http404
    return channel


@login_required
def simulator(request, channel_uuid):
    """The customer's phone for a sandbox channel: write as the customer, see the replies and ticks."""
    channel = _sandbox_channel_for(request, channel_uuid)
    phone = request.GET.get("from", "+5511999990000")
    name = request.GET.get("name", "Cliente Simulado")
    context = {"channel": channel, "phone": phone, "name": name, "kinds": services.SIMULATED_KINDS, "nav": "settings"}
    try:
        context["transcript"] = selectors.customer_transcript(channel=channel, phone=phone)
    except ValueError:
        context["transcript"], context["error"] = (
            [],
            _("This is not a valid phone number: %(number)s") % {"number": phone},
        )
    template = "whatsapp/_simulator_transcript.html" if request.htmx else "whatsapp/simulator.html"
    return render(request, template, context)


@login_required
@require_POST
def simulator_send(request, channel_uuid):
    channel = _sandbox_channel_for(request, channel_uuid)
    phone, name = request.POST.get("from", ""), request.POST.get("name", "")
    url = reverse("console:whatsapp-simulator", kwargs={"channel_uuid": channel.uuid})
    back = f"{url}?{urlencode({'from': phone, 'name': name})}"
    try:
        services.simulated_message_post(
            channel=channel,
            phone=phone,
            name=name,
            kind=request.POST.get("kind", "text"),
            text=request.POST.get("text", ""),
            upload=request.FILES.get("file"),
            latitude=request.POST.get("latitude"),
            longitude=request.POST.get("longitude"),
        )
    except ApplicationError as exc:
        if "from" not in exc.extra.get("fields", {}):  # the page says so next to the number already
            messages.error(request, exc.message)
    return redirect(back)
