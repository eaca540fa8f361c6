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


def _page(request, form, created=None, raw_key=""):
    return render(
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


@admin_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = services.api_key_create(created_by=request.user, **form.cleaned_data)
        # Rendered in this answer only (no redirect): the key is never stored or put in a cookie.
        response = _page(request, ApiKeyForm(), created=key, raw_key=raw)
        response["Cache-Control"] = "no-store"
        return response
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
