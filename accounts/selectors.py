"""Reads for accounts: API sessions behind tokens, API keys, notifications."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts import tokens
from accounts.models import ApiKey, ApiSession, Notification, User


def api_session_live(claims: tokens.Claims) -> ApiSession:
    """The session a verified token belongs to, with its user and key, in one query.
    Raises tokens.TokenInvalid when it was revoked, or its user or key can no longer sign in."""
    session = ApiSession.objects.select_related("user", "api_key").filter(uuid=claims.sid).first()
    if session is None or str(session.user.uuid) != claims.sub:
        raise tokens.TokenInvalid(_("The token is not valid."))
    if session.revoked_at is not None:
        raise tokens.TokenInvalid(_("The token has been revoked."), code="token_revoked")
    if not session.user.is_active or (session.api_key_id and not session.api_key.is_usable):
        raise tokens.TokenInvalid(_("The token has been revoked."), code="token_revoked")
    return session


def api_session_for_access_token(token: str) -> ApiSession:
    """The live session of an access token. Raises tokens.TokenInvalid (bad, expired, revoked)."""
    return api_session_live(tokens.decode(token, typ=tokens.ACCESS))


def api_keys_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user", "created_by").order_by("-created_at")


def notifications_for_user(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs
