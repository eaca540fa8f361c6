"""The widget's HTTP side: the loader script, the chat frame, the visitor API, the demo page.

Views translate: they check where a request comes from and who the visitor is (security.py),
then call one service or selector. Errors are JSON `{"error": {"code", "message"}}` in the
widget's language; a visitor who may not see something gets 404.
"""

import json
import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_app.providers.web_widget import config, forms, payloads, security, selectors, services, strings
from conversations import live
from conversations import selectors as agent_selectors
from core import ratelimit, realtime
from core.exceptions import ApplicationError
from core.parse import uuid_or_none

LIMITS = {  # requests per minute
    "session": 30,  # per client address
    "history": 120,  # per visitor: polling when WebSockets are blocked
    "message": 30,
    "upload": 10,
    "profile": 10,
    "receipt": 120,
    "typing": 60,  # the chat sends at most one every 2 s
}


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def _from_our_frame(request) -> bool:
    """Requests must come from the chat frame, i.e. from our own origin (see security.py)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in security.own_origins(request)
    if request.method not in ("GET", "HEAD"):
        return False  # browsers always send Origin on cross-origin and on unsafe requests
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _json_body(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _limited(request, scope: str, ident: str) -> JsonResponse | None:
    decision = ratelimit.hit(f"widget:{scope}:{ident}", limit=LIMITS[scope], window=60)
    if decision.allowed:
        return None
    response = _error(429, "rate_limited", _("Too many requests. Wait a moment and try again."))
    for name, value in decision.headers().items():
        response[name] = value
    return response


def visitor_api(scope: str, *, sends: bool = False):
    """Decorate a visitor endpoint: our own origin only, a valid visitor token for an active
    widget on a still-allowed site, the widget's language, a rate limit per visitor. `sends`:
    refused to unverified visitors when the widget requires verified identity."""

    def decorator(view):
        @csrf_exempt  # no cookies are involved: the visitor token travels in a header
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _from_our_frame(request):
                return _error(403, "origin_refused", _("This chat can only be used from the site it belongs to."))
            visitor = security.token_read(request.headers.get("X-Visitor-Token", ""))
            if visitor is None:
                return _error(401, "token_invalid", _("Your chat session is not valid: reload the page."))
            channel = selectors.channel_for_widget(visitor.channel_uuid)
            if channel is None:
                return _error(404, "not_found", _("This chat is no longer available."))
            if not security.site_allowed(channel, visitor.origin, own=security.own_origins(request)):
                return _error(403, "site_refused", _("This chat can only be used from the site it belongs to."))
            with translation.override(config.language(channel, request.headers.get("X-Widget-Lang", ""))):
                if sends and channel.settings.get("require_verified") and not visitor.verified:
                    return _error(403, "verification_required", _("Sign in on the site to chat with us."))
                if (limited := _limited(request, scope, visitor.key)) is not None:
                    return limited
                try:
                    return view(request, channel, visitor, *args, **kwargs)
                except ApplicationError as exc:
                    return _error(exc.status_code, "refused", exc.message)

        return wrapped

    return decorator


# --- the loader and the frame -----------------------------------------------------------------
_loader_bytes: bytes | None = None


@require_GET
@gzip_page
def loader(request):
    """`<script src="https://<helpdesk>/widget.js" data-widget="<id>" async>`: the small script
    a site embeds. It only creates the chat frame, after the page has loaded."""
    global _loader_bytes
    if _loader_bytes is None:
        with open(finders.find("widget/loader.js"), "rb") as handle:
            _loader_bytes = handle.read()
    response = HttpResponse(_loader_bytes, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _frame_csp(request, ancestors: str) -> str:
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )


@require_GET
@xframe_options_exempt  # framing is governed by CSP frame-ancestors instead
def frame(request, channel_uuid):
    """The chat itself, inside the iframe the loader creates. Served only for an allowed site
    (`origin`), and the browser only shows it inside a page of that site."""
    channel = selectors.channel_for_widget(channel_uuid)
    if channel is None:
        raise Http404
    preview = request.GET.get("preview") == "1"
    own = security.own_origins(request)
    origin = request.GET.get("origin", "")
    if not preview and not security.site_allowed(channel, origin, own=own):
        response = HttpResponse(
            _("This site may not show this chat."), status=403, content_type="text/plain; charset=utf-8"
        )
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        return response
    language = config.language(channel, translation.get_language_from_request(request))
    if preview and request.GET.get("lang") in ("en", "pt-br"):
        language = request.GET["lang"]  # the language picked in the unsaved settings form
    with translation.override(language):
        settings = _frame_settings(channel, language=language, preview=preview, origin=origin)
        response = render(request, "web_widget/frame.html", {"settings": settings, "language": language})
    ancestors = "'self'" if preview else str(security.parse_origin(origin))
    response["Content-Security-Policy"] = _frame_csp(request, ancestors)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _frame_settings(channel, *, language: str, preview: bool, origin: str) -> dict:
    values = channel.settings
    accepted, max_bytes = config.upload_policy(channel)
    hours = config.hours(channel)
    return {
        "widget": str(channel.uuid),
        "ticket": "" if preview else security.ticket_issue(channel_uuid=channel.uuid, origin=origin),
        "origin": origin,
        "preview": preview,
        "lang": language,
        "title": values.get("title") or channel.name,
        "color": values.get("color") or config.DEFAULT_COLOR,
        "position": values.get("position", "right"),
        "launcher_text": values.get("launcher_text", ""),
        "greeting": values.get("greeting", ""),
        "away_message": values.get("away_message", "")
        or _("We are away right now and will answer as soon as we are back."),
        "open_now": hours.is_open(timezone.now()) if hours else True,
        "logo": f"/widget/{channel.uuid}/logo?v={config.logo_version(channel)}" if values.get("logo") else "",
        "uploads": {"accept": list(accepted), "max_bytes": max_bytes},
        "require_verified": bool(values.get("require_verified")),
        "strings": strings.widget_strings(),
        "api": "/widget/api/",
        "ws": "/ws/widget/",
    }


@require_GET
def logo(request, channel_uuid):
    channel = selectors.channel_for_widget(channel_uuid)
    found = config.logo(channel) if channel is not None else None
    if found is None:
        raise Http404
    response = HttpResponse(found[1], content_type=found[0])
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-site"
    return response


# --- the visitor API --------------------------------------------------------------------------
@csrf_exempt
@require_POST
def session(request):
    """Start or resume a visitor session: the frame trades its ticket (and the visitor token it
    kept, and the site's signed identity if any) for a visitor token and the visitor's history."""
    if not _from_our_frame(request):
        return _error(403, "origin_refused", _("This chat can only be used from the site it belongs to."))
    data = _json_body(request)
    if data is None:
        return _error(400, "bad_request", _("The request body must be a JSON object."))
    ticket = security.ticket_read(str(data.get("ticket") or ""))
    if ticket is None:
        return _error(400, "ticket_invalid", _("This chat has expired: reload the page."))
    channel_uuid, origin = ticket
    channel = selectors.channel_for_widget(channel_uuid)
    if channel is None:
        return _error(404, "not_found", _("This chat is no longer available."))
    if not security.site_allowed(channel, origin, own=security.own_origins(request)):
        return _error(403, "site_refused", _("This chat can only be used from the site it belongs to."))
    with translation.override(config.language(channel, str(data.get("lang") or ""))):
        if (limited := _limited(request, "session", ratelimit.client_ip(request))) is not None:
            return limited
        external_id, error = _verified_id(channel, data.get("user"))
        if error is not None:
            return error
        previous = security.token_read(str(data.get("token") or ""))
        if previous is not None and previous.channel_uuid == str(channel.uuid) and previous.external_id == external_id:
            visitor = security.Visitor(str(channel.uuid), previous.visitor_id, origin, external_id)
        else:
            visitor = security.visitor_new(channel_uuid=channel.uuid, origin=origin, external_id=external_id)
        can_send = visitor.verified or not channel.settings.get("require_verified")
        fields = [] if visitor.verified else config.prechat_fields(channel)
        needs_prechat = bool(fields) and can_send and selectors.visitor_contact(visitor=visitor) is None
        return JsonResponse(
            {
                "token": security.token_issue(visitor),
                "verified": visitor.verified,
                "can_send": can_send,
                "prechat": [{"key": f.key, "label": f.label, "kind": f.kind, "required": f.required} for f in fields]
                if needs_prechat
                else [],
                **_history(channel, visitor, before=None),
            }
        )


def _verified_id(channel, user) -> tuple[str, JsonResponse | None]:
    secret = channel.credentials.get("identity_secret", "")
    if not user or not secret:
        return "", None  # no secret set: identities cannot be checked, so the visitor is anonymous
    if not isinstance(user, dict) or not isinstance(user.get("id"), str | int) or not str(user["id"]).strip():
        return "", _error(400, "bad_request", _("The user identity needs an id."))
    external_id = str(user["id"]).strip()
    if len(external_id) > security.MAX_EXTERNAL_ID:
        return "", _error(400, "bad_request", _("The user id is too long."))
    if not security.identity_valid(secret, external_id, str(user.get("hash") or "")):
        return "", _error(403, "identity_invalid", _("We could not verify who you are. Reload the page and try again."))
    return external_id, None


def _history(channel, visitor, *, before: str | None) -> dict:
    messages, has_more, conversations = selectors.visitor_history(channel=channel, visitor=visitor, before=before)
    seen = selectors.seen_flags(messages)
    return {
        "messages": [payloads.message_for_visitor(m, seen=seen.get(m.pk, False)) for m in messages],
        "has_more": has_more,
        "conversations": {key: {"status": status} for key, (status, _unread) in conversations.items()},
        # For a visitor who polls (WebSockets blocked): the agent typing to them right now.
        "typing": live.visitor_typing_name(visitor.address),
    }


@csrf_exempt  # token-authorised, no cookies (see visitor_api)
@require_http_methods(["GET", "POST"])
def messages(request):
    if request.method == "GET":
        return _messages_list(request)
    return _message_send(request)


@visitor_api("history")
def _messages_list(request, channel, visitor):
    before = request.GET.get("before") or None
    if before is not None and uuid_or_none(before) is None:
        return _error(400, "bad_request", _("`before` must be a message id."))
    return JsonResponse(_history(channel, visitor, before=before))


@visitor_api("message", sends=True)
def _message_send(request, channel, visitor):
    data = _json_body(request)
    if data is None or uuid_or_none(data.get("client_id")) is None:
        return _error(400, "bad_request", _("A message needs a `client_id` (a UUID made by the browser)."))
    uploads = data.get("uploads") or []
    if not isinstance(uploads, list) or not all(isinstance(u, str) and uuid_or_none(u) is not None for u in uploads):
        return _error(400, "bad_request", _("`uploads` must be a list of file ids."))
    text, button = data.get("text") or "", data.get("button")
    if not isinstance(text, str) or (button is not None and not isinstance(button, dict)):
        return _error(400, "bad_request", _("`text` must be a string and `button` an object."))
    profile = data.get("profile") if isinstance(data.get("profile"), dict) else None
    services.visitor_message_record(
        channel=channel,
        visitor=visitor,
        client_id=str(uuid.UUID(data["client_id"])),
        text=text,
        upload_ids=uploads,
        button=button,
        lang=translation.get_language(),
        profile=profile,
        page=str(data.get("page") or "") if isinstance(data.get("page"), str) else "",
    )
    return JsonResponse({"status": "accepted", "client_id": data["client_id"]}, status=202)


@require_POST
@visitor_api("upload", sends=True)
def upload(request, channel, visitor):
    file = request.FILES.get("file")
    if file is None:
        return _error(400, "bad_request", _("Attach a file in the `file` field."))
    _allowed, max_bytes = config.upload_policy(channel)
    if file.size > max_bytes:
        return _error(
            413,
            "too_large",
            _("%(name)s is too large; the limit is %(limit)s MB.")
            % {"name": file.name, "limit": round(max_bytes / 1e6, 1)},
        )
    stored = services.visitor_upload_store(
        channel=channel, visitor=visitor, name=file.name, data=file.read(), declared_type=file.content_type or ""
    )
    return JsonResponse(
        {"id": str(stored.uuid), "name": stored.name, "content_type": stored.content_type, "size": stored.size},
        status=201,
    )


@require_POST
@visitor_api("profile", sends=True)
def profile(request, channel, visitor):
    data = _json_body(request)
    if data is None or not isinstance(data.get("values"), dict):
        return _error(400, "bad_request", _("Send the form's values as `values`."))
    fields = config.prechat_fields(channel)
    if not fields or visitor.verified:
        return _error(400, "no_form", _("This chat has no pre-chat form."))
    form = forms.PrechatForm({k: str(v) for k, v in data["values"].items()}, fields=fields)
    if not form.is_valid():
        return _error(
            400, "invalid", _("Please check the form."), fields={k: [str(e) for e in v] for k, v in form.errors.items()}
        )
    services.visitor_profile_save(channel=channel, visitor=visitor, values=form.cleaned_data)
    return JsonResponse({"status": "saved"})


@require_POST
@visitor_api("receipt")
def receipts(request, channel, visitor):
    data = _json_body(request)
    ids = data.get("message_ids") if data else None
    if data is None or data.get("state") not in ("delivered", "read") or not isinstance(ids, list) or len(ids) > 200:
        return _error(400, "bad_request", _("Send `state` (delivered or read) and up to 200 `message_ids`."))
    valid = [str(i) for i in ids if isinstance(i, str) and uuid_or_none(i) is not None]
    mine = selectors.visitor_outbound_ids(channel=channel, visitor=visitor, uuids=valid)
    services.visitor_receipt_record(channel=channel, message_ids=mine, state=data["state"])
    return JsonResponse({"status": "accepted", "count": len(mine)}, status=202)


@require_POST
@visitor_api("typing")
def typing(request, channel, visitor):
    """`{"typing": true|false}` from a visitor who polls: the agents with the conversation open
    see it, as they do over the WebSocket."""
    data = _json_body(request)
    if data is None or not isinstance(data.get("typing"), bool):
        return _error(400, "bad_request", _("Send `typing` as true or false."))
    conversation = selectors.visitor_current_conversation(channel=channel, visitor=visitor)
    if conversation is not None:
        realtime.broadcast(
            *live.visitor_typing_message(
                conversation_uuid=str(conversation.uuid), name=conversation.contact.display_name, typing=data["typing"]
            )
        )
    return JsonResponse({"status": "accepted"}, status=202)


@login_required
@require_GET
def demo_any(request):
    """`/widget/demo/`: the demo page of the first web widget the signed-in user works."""
    channel = (
        agent_selectors.channels_for_user(request.user).filter(kind="web_widget", is_active=True).order_by("pk").first()
    )
    if channel is None:
        raise Http404
    return redirect("web_widget:demo", channel_uuid=channel.uuid)


@login_required
@require_GET
def demo(request, channel_uuid):
    """A pretend shop with the widget installed, served by the helpdesk itself: play the visitor
    here and the agent in the console, side by side."""
    channel = agent_selectors.channels_for_user(request.user).filter(kind="web_widget", uuid=channel_uuid).first()
    if channel is None:
        raise Http404
    return render(
        request,
        "web_widget/demo.html",
        {"channel": channel, "loader_url": request.build_absolute_uri("/widget.js")},
    )
