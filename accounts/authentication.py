"""`Authorization: Bearer <access token>` for the public API (DRF authentication class)."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts import selectors, tokens


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as `Authorization: Bearer <access token>`."), code="token_invalid"
            )
        try:
            token = parts[1].decode("ascii")
            session = selectors.api_session_for_access_token(token)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("The token is not valid."), code="token_invalid") from exc
        except tokens.TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        # request.auth is the session: the rate limiter and idempotency scope read it.
        return session.user, session

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `POST /api/v1/auth/token` (valid 15 minutes; refresh it).",
        }
