"""The base class of every API endpoint: authentication, then the rate limit, then permissions.

The rate limit is applied even when authentication fails (counted per client address), so a
brute-force of tokens or passwords is throttled too, and every answer, errors included, carries
the X-RateLimit-* headers.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.views import APIView

from core import ratelimit


class RateLimited(exceptions.Throttled):
    default_code = "rate_limited"


class ApiView(APIView):
    #: "default" (100/min by default) or "messages" (300/min): message endpoints count separately
    rate_scope = "default"

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        try:
            self.perform_authentication(request)
        finally:
            self.apply_rate_limit(request)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)
        self.check_permissions(request)

    def apply_rate_limit(self, request) -> None:
        bucket, limit = self.rate_bucket(request)
        window = settings.API_RATE_LIMIT_WINDOW_SECONDS
        decision = ratelimit.hit(bucket, limit=limit, window=window)
        request.rate_limit = decision
        if not decision.allowed:
            raise RateLimited(wait=decision.retry_after, detail=ratelimit.too_many_message(decision, window))

    def rate_bucket(self, request) -> tuple[str, int]:
        """(bucket name, limit): per API key, else per user, else per client address."""
        principal = getattr(request, "auth", None)
        scope = self.rate_scope
        if principal is not None and hasattr(principal, "rate_identity"):
            identity, limits = principal.rate_identity(), principal.rate_limits()
            return f"api:{scope}:{identity}", limits[scope]
        return f"api:anon:{ratelimit.client_ip(request)}", settings.API_RATE_LIMIT_ANONYMOUS

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        decision = getattr(request, "rate_limit", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        response["Cache-Control"] = "no-store"
        return response


class NotFoundApi(ApiView):
    """Any other path under the API prefix: 404 in the API's error shape (not an HTML page)."""

    permission_classes = []
    schema = None  # not an endpoint

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    get = post = put = patch = delete = head = options = http_method_not_allowed


class IsAdminRole(BasePermission):
    """Only administrators (role admin or superuser)."""

    message = _("Only administrators may do this.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin)


class AdminWrites(BasePermission):
    """Anyone signed in may read; only administrators may write (channel configuration)."""

    message = _("Only administrators may do this.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin


def validated_query(serializer_class, request) -> dict:
    """Validate query parameters. They are passed as a plain mapping, not as form input, so an
    empty value (`?limit=`) is refused like any other bad value instead of silently dropped; an
    unknown parameter (a typo such as `?stauts=open`) is refused rather than ignored."""
    params = dict(request.query_params.items())
    unknown = sorted(set(params) - set(serializer_class().fields))
    if unknown:
        raise exceptions.ValidationError({name: [_("Unknown parameter.")] for name in unknown})
    return validated(serializer_class, params)


def validated(serializer_class, data, **kwargs) -> dict:
    """Validate input with a serializer; its errors become a 400 in the error shape."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
