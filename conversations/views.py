"""The agent console: inbox, conversation, composer and conversation actions.

Views translate: they read with selectors, write with services and render templates. Every
object comes through the authorisation selector, so what an agent may not see is a 404 in full
pages and htmx fragments alike. Full pages and live updates render the same partials.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from channels_app.registry import adapter_for
from conversations import selectors, services
from conversations.attachments import prepare_file
from conversations.forms import AssignForm, ComposerForm, LabelsForm, StatusForm
from conversations.models import CannedResponse, Conversation, Label, Message
from core.exceptions import ApplicationError
from core.parse import datetime_or_none, uuid_or_none

PAGE_SIZE = 25
FILTERS_FORM_ID = "inbox-filters"  # the inbox's view and filter form (inbox.html)
TIMELINE_SIZE = 60


@dataclass(frozen=True)
class InboxFilters:
    view: str
    status: str
    channel: str
    team: str
    label: str

    @classmethod
    def from_request(cls, request) -> "InboxFilters":
        return cls.from_query(request.GET)

    @classmethod
    def from_query(cls, query: QueryDict) -> "InboxFilters":
        view = query.get("view", selectors.InboxView.MINE)
        if view not in (selectors.InboxView.MINE, selectors.InboxView.UNASSIGNED, selectors.InboxView.ALL):
            view = selectors.InboxView.MINE
        status = query.get("status", Conversation.Status.OPEN)
        if status not in Conversation.Status.values and status != "any":
            status = Conversation.Status.OPEN
        return cls(
            view=view,
            status=status,
            channel=_uuid_text(query.get("channel")),
            team=_uuid_text(query.get("team")),
            label=query.get("label", "")[:50],
        )

    def query(self, **overrides) -> str:
        values = {
            "view": self.view,
            "status": self.status,
            "channel": self.channel,
            "team": self.team,
            "label": self.label,
            **overrides,
        }
        return urlencode({k: v for k, v in values.items() if v})

    def list_kwargs(self) -> dict:
        return {
            "view": self.view,
            "status": None if self.status == "any" else self.status,
            "channel_uuid": self.channel or None,
            "team_uuid": self.team or None,
            "label": self.label or None,
        }


def _uuid_text(value) -> str:
    """A filter naming a channel, team or message by an id that is not a UUID names nothing."""
    parsed = uuid_or_none(value) if value else None
    return str(parsed) if parsed else ""


def _page(request, filters: InboxFilters):
    before = None
    if request.GET.get("before_at") and request.GET.get("before_id"):
        at = datetime_or_none(request.GET["before_at"])
        before_id = request.GET["before_id"]
        if at is not None and before_id.isdigit():
            before = (at, int(before_id))
    try:
        rows = selectors.conversation_list(
            user=request.user, before=before, limit=PAGE_SIZE + 1, **filters.list_kwargs()
        )
    except (ValueError, ApplicationError):  # a malformed channel/team uuid in the query string
        raise Http404 from None
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_query = ""
    if more:
        last = rows[-1]
        next_query = filters.query(before_at=last.last_activity_at.isoformat(), before_id=last.pk)
    return rows, next_query


def _sidebar_context(request, filters: InboxFilters) -> dict:
    return {
        "filters": filters,
        "channels": selectors.channels_for_user(request.user).only("uuid", "name", "kind"),
        "teams": Team.objects.only("uuid", "name"),
        "all_labels": Label.objects.all(),
        "status_choices": [*Conversation.Status.choices, ("any", _("Any status"))],
    }


@login_required
@require_GET
def inbox(request, conversation_uuid=None):
    filters = InboxFilters.from_request(request)
    conversation = None
    if conversation_uuid is not None:
        conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    if request.htmx and request.htmx.target == "conversation-pane" and conversation is not None:
        context = {**_conversation_context(request, conversation), "filters": filters}
        return render(request, "conversations/_conversation.html", context)
    rows, next_query = _page(request, filters)
    context = {
        "nav": "inbox",
        "rows": rows,
        "next_query": next_query,
        "conversation": conversation,
        **_sidebar_context(request, filters),
    }
    if conversation is not None:
        context.update(_conversation_context(request, conversation))
    return render(request, "conversations/inbox.html", context)


def _address(request, filters: InboxFilters) -> str:
    """The page's address for this list: the inbox, or the conversation open beside the list
    (the browser's current address, from htmx), with the filters in the query string."""
    path = reverse("console:inbox")
    try:
        match = resolve(urlsplit(request.htmx.current_url or "").path)
    except Resolver404:
        match = None
    if match is not None and match.view_name == "console:conversation":
        path = reverse("console:conversation", kwargs=match.kwargs)
    return _with_filters(path, filters)


def _with_filters(path: str, filters: InboxFilters) -> str:
    query = filters.query()
    return f"{path}?{query}" if query else path


@login_required
@require_GET
def inbox_list(request):
    """The list fragment: filters, "load more", and the refresh after a reconnect."""
    filters = InboxFilters.from_request(request)
    rows, next_query = _page(request, filters)
    template = "conversations/_rows.html" if request.GET.get("before_at") else "conversations/_list.html"
    response = render(request, template, {"rows": rows, "next_query": next_query, "filters": filters})
    if request.htmx.trigger == FILTERS_FORM_ID:
        # A change of view or filter is a new place: reload, back/forward and bookmarks keep it.
        response["HX-Push-Url"] = _address(request, filters)
    return response


@login_required
@require_GET
def conversation_row(request, conversation_uuid):
    """One list row for a live update; empty when it no longer matches the list's filters."""
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    filters = InboxFilters.from_request(request)
    if not selectors.conversation_in_list(user=request.user, uuid=conversation.uuid, **filters.list_kwargs()):
        return HttpResponse("")
    return render(request, "conversations/_row.html", {"row": conversation, "filters": filters})


@login_required
@require_GET
def unread_summary(request):
    """Unread conversations that need this agent: assigned to them, or unassigned in their inboxes."""
    return JsonResponse(selectors.unread_summary(user=request.user))


def _timeline(conversation: Conversation, *, after: datetime | None = None):
    messages = (
        conversation.messages.select_related("sender_user", "in_reply_to")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
    if after is not None:
        return list(reversed(messages.filter(created_at__gte=after)[:500]))
    page = list(messages[: TIMELINE_SIZE + 1])
    return list(reversed(page[:TIMELINE_SIZE])), len(page) > TIMELINE_SIZE


def _conversation_context(request, conversation: Conversation) -> dict:
    messages, earlier = _timeline(conversation)
    adapter = adapter_for(conversation.channel)
    return {
        "conversation": conversation,
        "timeline": messages,  # not "messages": that name is Django's flash messages in base.html
        "has_earlier": earlier,
        "contact": conversation.contact,
        "identities": list(conversation.contact.identities.all()),
        "previous": list(
            selectors.conversations_for_user(request.user)
            .filter(contact=conversation.contact)
            .exclude(pk=conversation.pk)
            .select_related("channel")
            .order_by("-last_activity_at")[:10]
        ),
        "labels": list(Label.objects.all()),
        "conversation_labels": list(conversation.labels.all()),
        "agents": list(selectors.agents_for_channel(conversation.channel)),
        "teams": list(Team.objects.only("uuid", "name")),
        "canned": list(CannedResponse.objects.values("shortcut", "content")),
        "policy_reason": adapter.refuse_reason(content_type="text", last_inbound_at=conversation.last_inbound_at),
        "template_url": (
            reverse(adapter.console_template_url, kwargs={"conversation_uuid": conversation.uuid})
            if adapter.console_template_url
            else ""
        ),
        "composer": ComposerForm(),
        "status_choices": Conversation.Status.choices,
    }


@login_required
@require_GET
def conversation_timeline(request, conversation_uuid):
    """The message timeline fragment (after a reconnect: everything, re-rendered)."""
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    messages, earlier = _timeline(conversation)
    return render(
        request,
        "conversations/_timeline.html",
        {"conversation": conversation, "timeline": messages, "has_earlier": earlier},
    )


@login_required
@require_GET
def conversation_earlier(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    before_uuid = _uuid_text(request.GET.get("before"))
    before = conversation.messages.filter(uuid=before_uuid).first() if before_uuid else None
    messages = conversation.messages.select_related("sender_user").prefetch_related("attachments")
    if before is not None:
        messages = messages.filter(created_at__lt=before.created_at)
    page = list(messages.order_by("-created_at", "-id")[: TIMELINE_SIZE + 1])
    return render(
        request,
        "conversations/_earlier.html",
        {
            "conversation": conversation,
            "timeline": list(reversed(page[:TIMELINE_SIZE])),
            "has_earlier": len(page) > TIMELINE_SIZE,
        },
    )


@login_required
@require_GET
def conversation_header(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    return render(request, "conversations/_header.html", _conversation_context(request, conversation))


@login_required
@require_GET
def message_fragment(request, message_uuid):
    message = (
        selectors.messages_for_user(request.user)
        .select_related("conversation", "sender_user", "in_reply_to")
        .prefetch_related("attachments")
        .filter(uuid=message_uuid)
        .first()
    )
    if message is None:
        raise Http404
    return render(request, "conversations/_message.html", {"message": message, "conversation": message.conversation})


def _form_errors(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


def _error(request, message: str, status: int = 422, target: str = "#composer-error"):
    """The reason an action was refused, shown next to what the agent used: under the composer,
    or under the header's actions (`target="#header-error"`)."""
    response = render(request, "conversations/_error.html", {"error": message}, status=status)
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_POST
def message_create(request, conversation_uuid):
    """The composer: send text and files, or store a private note."""
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    form = ComposerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _error(request, " ".join(e for errors in form.errors.values() for e in errors), status=400)
    try:
        files = tuple(
            prepare_file(name=f.name, data=f.read(), declared_type=f.content_type)
            for f in request.FILES.getlist("files")
        )
        sent = services.messages_send(
            conversation=conversation,
            draft=services.Draft(
                content=form.cleaned_data["content"],
                files=files,
                private=form.cleaned_data["private"],
            ),
            sender=request.user,
        )
    except ApplicationError as exc:
        return _error(request, exc.message, status=exc.status_code)
    if not request.htmx:
        return redirect("console:conversation", conversation_uuid=conversation.uuid)
    # Several files on a one-file-per-message channel are several messages: show them all.
    messages = Message.objects.filter(pk__in=[m.pk for m in sent]).select_related("sender_user", "in_reply_to")
    messages = messages.prefetch_related("attachments").order_by("created_at", "id")
    return render(request, "conversations/_messages.html", {"timeline": messages, "conversation": conversation})


@login_required
@require_POST
def message_retry(request, message_uuid):
    message = selectors.messages_for_user(request.user).select_related("conversation").filter(uuid=message_uuid).first()
    if message is None:
        raise Http404
    try:
        message = services.message_retry(message=message, by=request.user)
    except ApplicationError as exc:
        return _error(request, exc.message, status=exc.status_code)
    return render(request, "conversations/_message.html", {"message": message, "conversation": message.conversation})


def _header_response(request, conversation: Conversation):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation.uuid)
    if not request.htmx:
        return redirect("console:conversation", conversation_uuid=conversation.uuid)
    return render(request, "conversations/_header.html", _conversation_context(request, conversation))


@login_required
@require_POST
def conversation_assign(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    form = AssignForm(request.POST, channel=conversation.channel, user=request.user)
    if not form.is_valid():
        return _error(request, _form_errors(form), status=400, target="#header-error")
    services.conversation_assign(
        conversation=conversation,
        assignee=form.cleaned_data["assignee"],
        team=form.cleaned_data["team"],
        by=request.user,
    )
    return _header_response(request, conversation)


@login_required
@require_POST
def conversation_status(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _error(request, _form_errors(form), status=400, target="#header-error")
    try:
        services.conversation_set_status(
            conversation=conversation,
            status=form.cleaned_data["status"],
            snoozed_until=form.cleaned_data.get("snoozed_until"),
            by=request.user,
        )
    except ApplicationError as exc:
        return _error(request, exc.message, status=exc.status_code, target="#header-error")
    return _header_response(request, conversation)


@login_required
@require_POST
def conversation_labels(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    form = LabelsForm(request.POST)
    if not form.is_valid():
        return _error(request, _("Unknown label."), status=400, target="#header-error")
    services.conversation_set_labels(
        conversation=conversation, labels=list(form.cleaned_data["labels"]), by=request.user
    )
    return _header_response(request, conversation)


@login_required
@require_POST
def conversation_read(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    services.conversation_mark_read(conversation=conversation, by=request.user)
    return HttpResponse(status=204)


@login_required
@require_POST
def conversation_unread(request, conversation_uuid):
    conversation = selectors.conversation_get_for_user(user=request.user, uuid=conversation_uuid)
    services.conversation_mark_unread(conversation=conversation, by=request.user)
    if request.htmx:
        # Back to the list the agent came from: its filters are in the page's address.
        filters = InboxFilters.from_query(QueryDict(urlsplit(request.htmx.current_url or "").query))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _with_filters(reverse("console:inbox"), filters)
        return response
    return redirect("console:inbox")


@login_required
def home(request):
    return redirect("console:inbox")
