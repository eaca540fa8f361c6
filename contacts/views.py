"""Contacts in the console: list with search, profile edit, merge."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels_app import registry
from contacts import services
from contacts.forms import ContactForm, MergeForm
from contacts.search import contacts_matching
from conversations import selectors
from core.parse import datetime_or_none

PAGE_SIZE = 50


@login_required
def contact_list(request):
    query = request.GET.get("q", "").strip()
    contacts = contacts_matching(selectors.contacts_for_user(request.user).order_by("-updated_at", "-pk"), query)
    at, before_id = datetime_or_none(request.GET.get("before_at")), request.GET.get("before_id", "")
    if at is not None and before_id.isdigit():
        contacts = contacts.filter(Q(updated_at__lt=at) | Q(updated_at=at, pk__lt=int(before_id)))
    page = list(contacts[: PAGE_SIZE + 1])
    next_query = ""
    if len(page) > PAGE_SIZE:
        page = page[:PAGE_SIZE]
        next_query = urlencode({"q": query, "before_at": page[-1].updated_at.isoformat(), "before_id": page[-1].pk})
    return render(
        request,
        "contacts/contact_list.html",
        {"contacts": page, "query": query, "next_query": next_query, "nav": "contacts"},
    )


def _visible(request, contact_uuid):
    contact = selectors.contacts_for_user(request.user).filter(uuid=contact_uuid).first()
    if contact is None:
        raise Http404
    return contact


def _start_links(user, contact) -> list[dict]:
    """ "Start a WhatsApp conversation" (and the like) for each kind of channel the user works
    whose provider offers a console page to reach out with (ChannelAdapter.console_start_url)."""
    kinds = selectors.channels_for_user(user).filter(is_active=True).values_list("kind", flat=True).distinct()
    links = []
    for kind in sorted(set(kinds) & set(registry.ADAPTERS)):
        adapter = registry.adapter_class(kind)
        if adapter.console_start_url:
            links.append(
                {
                    "label": _("Start a %(channel)s conversation") % {"channel": adapter.label},
                    "url": f"{reverse(adapter.console_start_url)}?{urlencode({'contact': contact.uuid})}",
                }
            )
    return links


@login_required
def contact_detail(request, contact_uuid):
    contact = _visible(request, contact_uuid)
    initial = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "custom_attributes": json.dumps(contact.custom_attributes, ensure_ascii=False, indent=2)
        if contact.custom_attributes
        else "",
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.contact_update(contact=contact, **form.cleaned_data)
        messages.success(request, _("Contact saved."))
        return redirect("console:contact", contact_uuid=contact.uuid)
    # Merge: find the other contact by name, e-mail or phone instead of pasting its id.
    merge_query = request.GET.get("merge_q", "").strip()[:100]
    merge_candidates = []
    if merge_query:
        others = selectors.contacts_for_user(request.user).exclude(pk=contact.pk)
        merge_candidates = list(contacts_matching(others, merge_query).order_by("name", "pk")[:20])
    conversations = (
        selectors.conversations_for_user(request.user)
        .filter(contact=contact)
        .select_related("channel", "assignee")
        .order_by("-last_activity_at")[:50]
    )
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "form": form,
            "merge_query": merge_query,
            "merge_candidates": merge_candidates,
            "identities": contact.identities.all(),
            "conversations": conversations,
            "start_links": _start_links(request.user, contact),
            "nav": "contacts",
        },
    )


@login_required
@require_POST
def contact_merge(request, contact_uuid):
    target = _visible(request, contact_uuid)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the contact to merge."))
        return redirect("console:contact", contact_uuid=target.uuid)
    source = selectors.contacts_for_user(request.user).filter(uuid=form.cleaned_data["other"]).first()
    if source is None or source.pk == target.pk:
        messages.error(request, _("That contact cannot be merged into this one."))
        return redirect("console:contact", contact_uuid=target.uuid)
    services.contact_merge(source=source, target=target)
    messages.success(request, _("%(name)s was merged into this contact.") % {"name": source.display_name})
    return redirect("console:contact", contact_uuid=target.uuid)
