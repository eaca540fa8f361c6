"""One JSON shape for every API error, whatever raised it:

    {"error": {"code": "invalid", "message": "Some fields are invalid.", "fields": {"email": ["..."]}}}

`code` is stable and meant for programs, `message` is translated and meant for people, `fields`
appears on validation errors only (nested fields are joined with dots: `settings.callback_url`).
The inbound webhook view answers in the same shape.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError, Conflict, NotFound, PolicyViolation

logger = logging.getLogger(__name__)

APPLICATION_CODES = ((PolicyViolation, "policy_violation"), (Conflict, "conflict"), (NotFound, "not_found"))


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: render any exception as the one error shape."""
    headers = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        code = exc.extra.get("code") or next((c for cls, c in APPLICATION_CODES if isinstance(exc, cls)), "bad_request")
        body = error_body(code, exc.message, exc.extra.get("fields"))
        status_code = exc.status_code
    elif isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        general = fields.pop("non_field_errors", None) or fields.pop("", None)
        message = general[0] if general else _("Some fields are invalid.")
        body = error_body("invalid", message, fields)
        status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else exc.default_code
        body = error_body(_CODE_ALIASES.get(code, code), _text(exc.detail))
        status_code = exc.status_code
    else:
        logger.exception("unexpected error in %s", context.get("view").__class__.__name__)
        body = error_body("server_error", _("Something went wrong on our side. It has been logged."))
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    set_rollback()
    return Response(body, status=status_code, headers=headers)


_CODE_ALIASES = {"throttled": "rate_limited", "error": "bad_request"}


def _text(detail) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_text(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(_text(d) for d in detail.values())
    return str(detail)


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"a.b": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            for field, messages in flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(d, dict | list | tuple) for d in detail):
            out[prefix] = [str(d) for d in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    for field, messages in flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                        out.setdefault(field, []).extend(messages)
    else:
        out[prefix] = [str(detail)]
    return out
