import json

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts import identities


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, help_text=_("With country code, e.g. +55 11 98765-4321")
    )
    custom_attributes = forms.CharField(
        label=_("Custom attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_('A JSON object, e.g. {"plan": "gold", "crm_id": "4521"}'),
    )

    def clean_email(self):
        value = self.cleaned_data["email"]
        if value.strip():
            try:
                return identities.normalize_email(value)
            except identities.InvalidAddress as exc:
                raise forms.ValidationError(_("Not an e-mail address.")) from exc
        return ""

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if value.strip():
            try:
                return identities.normalize_phone(value)
            except identities.InvalidAddress as exc:
                raise forms.ValidationError(_("Not a phone number.")) from exc
        return ""

    def clean_custom_attributes(self):
        raw = self.cleaned_data["custom_attributes"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Custom attributes must be a JSON object."))
        return value


class MergeForm(forms.Form):
    other = forms.UUIDField(label=_("Contact to merge into this one"))
