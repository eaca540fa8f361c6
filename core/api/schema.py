"""OpenAPI conventions applied to every operation (drf-spectacular's DEFAULT_SCHEMA_CLASS).

Each operation documents, beside its own answers: the error responses it can give in the one
error shape (400 for operations with input, 401, 403 for admin-only ones, 404 with a path id,
415 with a body, 429), and the X-RateLimit-* headers every answer carries.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: `invalid`, `not_found`, `rate_limited`, ...")
    message = serializers.CharField(help_text="Translated, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field (nested fields joined with dots).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _error(description: str, code: str, message: str, fields: dict | None = None) -> OpenApiResponse:
    body = {"error": {"code": code, "message": message, **({"fields": fields} if fields else {})}}
    return OpenApiResponse(
        ErrorSerializer, description=description, examples=[OpenApiExample(code, value=body, response_only=True)]
    )


ERRORS = {
    400: _error("Invalid input.", "invalid", "Some fields are invalid.", {"email": ["Enter a valid email address."]}),
    401: _error(
        "Missing, expired, tampered or revoked access token.",
        "token_expired",
        "The access token has expired: refresh it.",
    ),
    403: _error("Only administrators may do this.", "permission_denied", "Only administrators may do this."),
    404: _error("No such object, or one you may not see.", "not_found", "Not found."),
    409: _error("The change conflicts with the current state.", "conflict", "This message is already being sent."),
    415: _error("Unsupported request body type.", "unsupported_media_type", 'Unsupported media type "text/plain".'),
    422: _error(
        "The request is valid but the channel's rules or the object's state refuse it.",
        "policy_violation",
        "The 24-hour window is closed: only templates can be sent.",
    ),
    429: _error(
        "Rate limit exceeded; retry after `Retry-After` seconds.",
        "rate_limited",
        "Rate limit exceeded: 100 requests per 60 seconds. Try again in 12 seconds.",
    ),
}

RATE_HEADERS = [
    OpenApiParameter(
        "X-RateLimit-Limit",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="Requests allowed in the current window.",
    ),
    OpenApiParameter(
        "X-RateLimit-Remaining",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="Requests left in the current window.",
    ),
    OpenApiParameter(
        "X-RateLimit-Reset",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="Unix time (seconds) when the window resets.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        required=True,
        description="Seconds to wait before retrying.",
    ),
]


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self):
        operation_id = super().get_operation_id()
        if self.method == "GET" and "{" not in self.path:
            operation_id = operation_id.replace("_retrieve", "_list")
        return operation_id

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *RATE_HEADERS]

    def _get_response_bodies(self, direction="response"):
        # Added here rather than in get_response_serializers(), which @extend_schema replaces.
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ERRORS[code], str(code), direction=direction)
        return responses

    def _error_codes(self) -> list[int]:
        codes = [429]
        if getattr(self.view, "authentication_required", True):
            codes.append(401)
        if getattr(self.view, "admin_only", False) or self.method.lower() in getattr(
            self.view, "admin_only_methods", ()
        ):
            codes.append(403)
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body or self.method == "GET" and getattr(self.view, "query_serializer", None):
            codes.append(400)
        if has_body:
            codes.append(415)
        if any(getattr(p, "name", "") == "Idempotency-Key" for p in self.get_override_parameters()):
            codes.append(422)  # the key was used with another request
        # Every operation may meet an id that does not exist or is hidden (in the path or the body).
        codes.append(404)
        return codes


def error_response(description: str) -> OpenApiResponse:
    """An operation-specific error answer (409, 422, ...) in the one error shape."""
    return OpenApiResponse(ErrorSerializer, description=description)
