"""Input fields that take JSON types at their word: DRF's own would accept `0` for a string,
`1` for a boolean and an integer for a UUID. An API that guesses hides client bugs (and would
contradict its own schema), so these refuse the wrong JSON type. Values from query strings and
multipart forms are text by nature and are parsed as usual.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.utils import html


def _from_text_source(field) -> bool:
    root = field.root
    return root is not None and html.is_html_input(getattr(root, "initial_data", None))


class CharField(serializers.CharField):
    default_error_messages = {"invalid": _("Not a valid string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class URLField(serializers.URLField, CharField):
    pass


class UUIDField(serializers.UUIDField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and _from_text_source(self):
            return super().to_internal_value(data)
        self.fail("invalid", input=data)
