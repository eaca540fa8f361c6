"""Keyset (cursor) pagination for API lists.

A page is `{"results": [...], "next": "<url of the next page>" | null, "next_cursor": "..." | null}`.
The cursor is the position of the last row sent (its ordering values, UUID as the tie-breaker),
so page 500 costs what page 1 costs and rows inserted meanwhile never shift or repeat a page.
Integer primary keys are never part of a cursor.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

from core.api import fields
from core.parse import datetime_or_none, uuid_or_none

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class PageParams(serializers.Serializer):
    cursor = fields.CharField(
        required=False, max_length=500, help_text="`next_cursor` of the previous page; omit for the first page."
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, help_text="Rows per page (1–100)."
    )


def paginate(queryset, request, *, ordering: tuple[str, ...], params: dict) -> tuple[list, dict]:
    """One page of `queryset` in `ordering` (each field non-null, the last one unique).

    `params` are the validated PageParams. Returns (rows, page fields without `results`)."""
    limit = params.get("limit") or DEFAULT_LIMIT
    if params.get("cursor"):
        queryset = queryset.filter(_after(queryset.model, ordering, _decode(params["cursor"], len(ordering))))
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = _encode(rows[-1], ordering) if more and rows else None
    next_url = replace_query_param(request.build_absolute_uri(), "cursor", cursor) if cursor else None
    return rows, {"next": next_url, "next_cursor": cursor}


def _encode(row, ordering: tuple[str, ...]) -> str:
    values = []
    for spec in ordering:
        value = getattr(row, spec.lstrip("-"))
        values.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise ValidationError({"cursor": [_("This cursor is not valid: use `next_cursor` from the previous page.")]})
    return values


def _typed(model, name: str, raw: str):
    field = model._meta.get_field(name)
    if isinstance(field, models.DateTimeField):
        value = datetime_or_none(raw)
    elif isinstance(field, models.UUIDField):
        value = uuid_or_none(raw)
    else:
        value = raw
    if value is None:
        raise ValidationError({"cursor": [_("This cursor is not valid: use `next_cursor` from the previous page.")]})
    return value


def _after(model, ordering: tuple[str, ...], raw_values: list) -> Q:
    """Rows strictly after the cursor position in `ordering`: (a > x) or (a = x and b > y) ..."""
    condition = Q()
    equal = Q()
    for spec, raw in zip(ordering, raw_values, strict=True):
        name = spec.lstrip("-")
        value = _typed(model, name, raw)
        beyond = Q(**{f"{name}__{'lt' if spec.startswith('-') else 'gt'}": value})
        condition |= equal & beyond
        equal &= Q(**{name: value})
    return condition


_page_serializers: dict[str, type] = {}


def page_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The OpenAPI shape of a page of `item`s (component `<name>`)."""
    if name not in _page_serializers:
        _page_serializers[name] = type(
            name,
            (serializers.Serializer,),
            {
                "results": item(many=True),
                "next": fields.URLField(allow_null=True, help_text="The next page, or null on the last one."),
                "next_cursor": fields.CharField(allow_null=True, help_text="Pass as `cursor` for the next page."),
                "__module__": __name__,
            },
        )
    return _page_serializers[name]
