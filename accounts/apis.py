"""API-AUTH: obtain, refresh and revoke tokens (`/api/v1/auth/...`)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services, tokens
from core.api import fields
from core.api.views import ApiView

EXAMPLE_PAIR = {
    "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJhY2Nlc3MiLCJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
    "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIiwic3ViIjoiLi4uIn0.c2lnbmF0dXJl",
    "expires_in": 900,
}


class TokenPairSerializer(serializers.Serializer):
    access = fields.CharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = fields.CharField(help_text="Exchange at /auth/refresh for a new pair; single use.")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


def _pair(pair: services.TokenPair) -> dict:
    return {"access": pair.access, "refresh": pair.refresh, "expires_in": pair.expires_in}


def _unauthorized(message: str, code: str):
    return exceptions.AuthenticationFailed(message, code=code)


class _AuthApi(ApiView):
    # No bearer token here: these endpoints are how one gets a token.
    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # so a refusal is a 401, as everywhere in the API


class TokenObtainApi(_AuthApi):
    class TokenObtainIn(serializers.Serializer):
        username = fields.CharField(required=False, max_length=254, help_text="User name or e-mail.")
        password = fields.CharField(required=False, max_length=128, trim_whitespace=False)
        api_key = fields.CharField(required=False, max_length=200, help_text="An API key (`ock_...`).")

        def validate(self, data):
            with_password = "username" in data or "password" in data
            if with_password == ("api_key" in data):
                raise serializers.ValidationError(_("Send either `username` and `password`, or `api_key`."))
            if with_password and not ("username" in data and "password" in data):
                raise serializers.ValidationError(_("Send both `username` and `password`."))
            return data

    class PasswordIn(serializers.Serializer):
        username = fields.CharField(max_length=254, help_text="User name or e-mail.")
        password = fields.CharField(max_length=128, trim_whitespace=False)

    class ApiKeyIn(serializers.Serializer):
        api_key = fields.CharField(max_length=200, help_text="An API key (`ock_...`).")

    @extend_schema(
        tags=["auth"],
        summary="Obtain an access and a refresh token",
        description="With a user's name (or e-mail) and password, or with an API key created by an admin. "
        "Each call starts a new session; `/auth/revoke` ends it.",
        request=PolymorphicProxySerializer(
            component_name="TokenRequest", serializers=[PasswordIn, ApiKeyIn], resource_type_field_name=None
        ),
        responses={200: TokenPairSerializer},
        auth=[],
        examples=[
            OpenApiExample(
                "With a password", value={"username": "ana@example.com", "password": "s3cret!"}, request_only=True
            ),
            OpenApiExample("With an API key", value={"api_key": "ock_Yk3…"}, request_only=True),
            OpenApiExample("Tokens", value=EXAMPLE_PAIR, response_only=True),
        ],
    )
    def post(self, request):
        data = self._validated(request)
        if "api_key" in data:
            key = services.api_key_authenticate(raw_key=data["api_key"])
            if key is None:
                raise _unauthorized(_("This API key is not valid, expired or revoked."), "invalid_credentials")
            pair = services.api_session_start(user=key.user, api_key=key)
        else:
            user = authenticate(request._request, username=data["username"], password=data["password"])
            if user is None:
                raise _unauthorized(_("Wrong user name or password."), "invalid_credentials")
            pair = services.api_session_start(user=user)
        return Response(_pair(pair))

    def _validated(self, request) -> dict:
        serializer = self.TokenObtainIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RefreshTokenObtainIn(serializers.Serializer):
    refresh = fields.CharField(max_length=2000)


class TokenRefreshApi(_AuthApi):
    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new pair",
        description="The refresh token is single use: the answer holds a new one. Presenting a spent refresh "
        "token again revokes its whole session (someone copied it).",
        request=RefreshTokenObtainIn,
        responses={200: TokenPairSerializer},
        auth=[],
        examples=[
            OpenApiExample("Refresh", value={"refresh": EXAMPLE_PAIR["refresh"]}, request_only=True),
            OpenApiExample("New tokens", value=EXAMPLE_PAIR, response_only=True),
        ],
    )
    def post(self, request):
        serializer = RefreshTokenObtainIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = services.api_session_refresh(refresh_token=serializer.validated_data["refresh"])
        except tokens.TokenInvalid as exc:
            raise _unauthorized(exc.message, exc.code) from exc
        return Response(_pair(pair))


class TokenRevokeApi(_AuthApi):
    @extend_schema(
        tags=["auth"],
        summary="Revoke a session",
        description="Revokes the refresh token and every access token issued in its session, at once on "
        "every server. Revoking an expired or already revoked token succeeds.",
        request=RefreshTokenObtainIn,
        responses={204: OpenApiResponse(description="Revoked.")},
        auth=[],
        examples=[OpenApiExample("Revoke", value={"refresh": EXAMPLE_PAIR["refresh"]}, request_only=True)],
    )
    def post(self, request):
        serializer = RefreshTokenObtainIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.api_session_revoke(refresh_token=serializer.validated_data["refresh"])
        except tokens.TokenInvalid as exc:
            raise _unauthorized(exc.message, exc.code) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
