"""Settings pages owned by conversations: canned responses and labels; and search."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required
from conversations import search, services
from conversations.models import CannedResponse, Label
from core.forms import save_unless_taken


class CannedForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["shortcut", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "color", "description"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}


def _crud(request, *, model, form_class, pk, template, section, redirect_to):
    instance = model.objects.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid() and save_unless_taken(form, services.settings_object_save):
        messages.success(request, _("Saved."))
        return redirect(redirect_to)
    return render(
        request,
        template,
        {"form": form, "objects": model.objects.all(), "editing": instance, "nav": "settings", "section": section},
    )


@admin_required
def canned(request, pk=None):
    return _crud(
        request,
        model=CannedResponse,
        form_class=CannedForm,
        pk=pk,
        template="conversations/settings_canned.html",
        section="canned",
        redirect_to="console:settings-canned",
    )


@admin_required
def labels(request, pk=None):
    return _crud(
        request,
        model=Label,
        form_class=LabelForm,
        pk=pk,
        template="conversations/settings_labels.html",
        section="labels",
        redirect_to="console:settings-labels",
    )


@admin_required
@require_POST
def canned_delete(request, pk):
    services.settings_object_delete(obj=CannedResponse.objects.filter(pk=pk).first())
    messages.success(request, _("Canned response deleted."))
    return redirect("console:settings-canned")


@admin_required
@require_POST
def label_delete(request, pk):
    services.settings_object_delete(obj=Label.objects.filter(pk=pk).first())
    messages.success(request, _("Label deleted."))
    return redirect("console:settings-labels")


@admin_required
def settings_index(request):
    return redirect("console:settings-channels")


@login_required
def search_view(request):
    query = request.GET.get("q", "").strip()[:200]
    return render(
        request,
        "conversations/search.html",
        {
            "query": query,
            "messages_found": search.search_messages(user=request.user, query=query),
            "contacts_found": search.search_contacts(user=request.user, query=query),
            "nav": "search",
        },
    )
