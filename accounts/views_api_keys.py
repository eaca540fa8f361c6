"""Settings → API keys: create (the key is shown once), list, revoke."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.decorators import admin_required
from accounts.forms_api_keys import ApiKeyForm
from accounts.models import ApiKey
from core import one_time

CREATED = "api-key-created"


def _page(request, form, created=None, raw_key=""):
    response = render(
        request,
        "accounts/api_keys.html",
        {
            "keys": selectors.api_keys_list(),
            "form": form,
            "created": created,
            "raw_key": raw_key,
            "nav": "settings",
            "section": "api-keys",
        },
    )
    if raw_key:
        response["Cache-Control"] = "no-store"  # the page shows the key once
    return response


@admin_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = services.api_key_create(created_by=request.user, **form.cleaned_data)
        # Post/Redirect/Get: a reload must not create a second key. The key waits in the
        # server-side session for the next page, which shows it once (it is stored only hashed).
        one_time.keep(request, CREATED, {"name": key.name, "raw_key": raw})
        return redirect("console:settings-api-keys")
    shown = one_time.take(request, CREATED) if request.method == "GET" else None
    if shown:
        return _page(request, form, created={"name": shown["name"]}, raw_key=shown["raw_key"])
    return _page(request, form)


@admin_required
@require_POST
def api_key_revoke(request, key_uuid):
    key = ApiKey.objects.filter(uuid=key_uuid).first()
    if key is None:
        raise Http404
    services.api_key_revoke(api_key=key)
    messages.success(request, _("Key “%(name)s” revoked: its tokens stopped working.") % {"name": key.name})
    return redirect("console:settings-api-keys")
