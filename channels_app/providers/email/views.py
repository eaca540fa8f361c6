"""Console screens of the e-mail channel: connecting an OAuth mailbox (the authorisation-code
flow) and a message's full original. Thin: parse, authorise, call one service, format."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from accounts.decorators import admin_required
from channels_app.models import Channel
from channels_app.providers.email import config, oauth, services
from conversations import selectors
from conversations.attachments import signed_url


def redirect_uri() -> str:
    return settings.PUBLIC_BASE_URL + reverse("email_channel:oauth_callback")


@admin_required
@require_GET
def oauth_start(request, channel_uuid):
    channel = Channel.objects.filter(uuid=channel_uuid, kind="email").first()
    if channel is None or not config.of(channel).oauth_provider:
        raise Http404
    if not oauth.is_configured(config.of(channel).oauth_provider):
        messages.error(request, _("Signing in with this provider is not set up on this server."))
        return redirect("console:settings-channel", channel_uuid=channel.uuid)
    return redirect(services.oauth_flow_start(channel=channel, user=request.user, redirect_uri=redirect_uri()))


@admin_required
@require_GET
def oauth_callback(request):
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    error = request.GET.get("error", "")
    if error or not state or not code:
        messages.error(
            request,
            _("The mailbox was not connected: %(reason)s")
            % {"reason": request.GET.get("error_description") or error or _("the answer was incomplete.")},
        )
        return redirect("console:settings-channels")
    try:
        channel = services.oauth_flow_finish(state=state, code=code, user=request.user, redirect_uri=redirect_uri())
    except services.OAuthFlowError as exc:
        messages.error(request, exc.message)
        return redirect("console:settings-channels")
    messages.success(request, _("Mailbox connected. New mail will show up in the inbox shortly."))
    return redirect("console:settings-channel", channel_uuid=channel.uuid)


def _email_message(request, message_uuid):
    message = (
        selectors.messages_for_user(request.user)
        .filter(uuid=message_uuid, channel__kind="email")
        .select_related("conversation", "channel")
        .prefetch_related("attachments")
        .first()
    )
    if message is None:
        raise Http404
    return message


# Why a mail counts as sent by a machine (mime.automated_reason), in the reader's language; the
# other reasons quote the header that said so and are shown as they are.
_AUTOMATED_REASONS = {
    "mailing list": gettext_lazy("mailing list"),
    "delivery report": gettext_lazy("delivery report"),
    "empty return path": gettext_lazy("empty return path"),
    "mailer daemon": gettext_lazy("mailer daemon"),
}


@login_required
@require_GET
def message_original(request, message_uuid):
    """The mail as it came: headers, the full text with its quoted history, the HTML view."""
    message = _email_message(request, message_uuid)
    automated = message.payload.get("automated") or ""
    return render(
        request,
        "email_channel/original.html",
        {
            "message": message,
            "mail": message.payload,
            "automated": _AUTOMATED_REASONS.get(automated, automated),
            "nav": "inbox",
        },
    )


_CID = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)


@login_required
@require_GET
@xframe_options_sameorigin
def message_original_body(request, message_uuid):
    """The sanitised HTML in a sandboxed frame: no scripts, no remote images (tracking pixels),
    inline images served from our own attachment URLs."""
    message = _email_message(request, message_uuid)
    html = message.payload.get("html") or ""
    by_name = {a.name: a for a in message.attachments.all()}
    inline = message.payload.get("inline_images") or {}

    def to_attachment(match):
        attachment = by_name.get(inline.get(match.group(2), ""))
        # The sandboxed frame has an opaque origin and sends no session cookie: a short-lived
        # URL not bound to a user, minted only for someone allowed to see this message.
        url = signed_url(attachment, user_id=None, ttl=600) if attachment else ""
        return f"{match.group(1)}{url}{match.group(3)}"

    response = HttpResponse(
        '<!doctype html><meta charset="utf-8"><base target="_blank">' + _CID.sub(to_attachment, html),
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = (
        "sandbox allow-popups; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, no-store"
    return response
