"""`Idempotency-Key` for API writes: a client that retries after a timeout gets the first
answer again instead of doing the work twice (a customer never receives one message twice).

Keys are scoped to the caller (API key, else user) and kept 24 hours. The same key with a
different request (method, path or body) is refused with 422. The record is inserted in the same
transaction as the work: a concurrent retry blocks on the unique index until the first request
commits and then replays its answer; if the first request fails, its record rolls back with its
work and the retry runs afresh.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from core.exceptions import PolicyViolation

HEADER = "Idempotency-Key"
PATTERN = r"^[\x20-\x7e]{1,255}$"  # printable ASCII, as HTTP headers carry it safely

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=PATTERN,
    description=(
        "Any unique string (a UUID is ideal), at most 255 characters. Retrying with the same key within "
        "24 hours returns the first answer instead of repeating the work; the same key with a different "
        "body is refused with 422."
    ),
)


def run(request, work: Callable[[], Response]) -> Response:
    """Do `work()` at most once per Idempotency-Key (if the request carries one)."""
    key = request.headers.get(HEADER)
    if key is None:
        return work()
    if not re.fullmatch(PATTERN, key):
        raise exceptions.ValidationError(
            {HEADER: [_("The Idempotency-Key must be 1 to 255 printable ASCII characters.")]}
        )
    scope = request.auth.idempotency_scope
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        IdempotencyRecord.objects.filter(scope=scope, key=key, expires_at__lte=timezone.now()).delete()
        IdempotencyRecord.objects.bulk_create(
            [
                IdempotencyRecord(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    expires_at=timezone.now() + timedelta(seconds=settings.API_IDEMPOTENCY_TTL_SECONDS),
                )
            ],
            ignore_conflicts=True,
        )
        record = IdempotencyRecord.objects.select_for_update().get(scope=scope, key=key)
        if record.fingerprint != fingerprint:
            raise PolicyViolation(
                _("This Idempotency-Key was already used with a different request."),
                extra={"code": "idempotency_key_reused"},
            )
        if record.status_code is not None:  # a committed earlier answer (ours would still be empty)
            response = Response(record.response, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        response = work()
        record.status_code = response.status_code
        record.response = response.data
        record.save(update_fields=["status_code", "response"])
        return response


def _fingerprint(request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # multipart: QueryDict of fields plus uploaded files
        fields = {name: sorted(map(str, values)) for name, values in data.lists() if name not in request.FILES}
        files = {name: sorted(_file_digest(f) for f in request.FILES.getlist(name)) for name in request.FILES}
        normalized = {"fields": fields, "files": files}
    else:
        normalized = data
    text = json.dumps({"method": request.method, "path": request.path, "body": normalized}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"{upload.name}:{digest.hexdigest()}"
