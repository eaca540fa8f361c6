"""OAuth 2.0 for mailboxes at Google and Microsoft: the authorisation-code flow (with PKCE), token
refresh and the SASL XOAUTH2 string that IMAP, POP3 and SMTP log in with.

Followed: developers.google.com/identity/protocols/oauth2/web-server and /gmail/imap/xoauth2-protocol;
learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow and "Authenticate an IMAP,
POP or SMTP connection using OAuth". Quirks: Google sends a refresh token only with
`access_type=offline` (and again only with `prompt=consent`), and its refresh answers carry none
(keep the old one); Microsoft rotates refresh tokens (store every new one) and its IMAP/SMTP
tokens are for the outlook.office.com resource, never Graph. `invalid_grant` means the grant is
gone (revoked, expired, password changed): only a person reconnecting can fix it.

Endpoints come from settings.PROVIDER_BASE_URLS (google_accounts, google_oauth, microsoft_login),
so tests point them at a local fake. All HTTP goes through core.http.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from channels_app.providers.email.config import GOOGLE, MICROSOFT
from core import http

GOOGLE_SCOPES = ("https://mail.google.com/", "openid", "email")
MICROSOFT_SCOPES = {
    "imap": "https://outlook.office.com/IMAP.AccessAsUser.All",
    "pop3": "https://outlook.office.com/POP.AccessAsUser.All",
    "smtp": "https://outlook.office.com/SMTP.Send",
}


class OAuthError(Exception):
    """The token endpoint refused or could not be reached. `reconnect`: only a person signing
    in again can fix it (invalid_grant and friends); `transient`: try again later."""

    def __init__(self, message: str, *, code: str = "", reconnect: bool = False, transient: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.reconnect = reconnect
        self.transient = transient


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str  # "" when the answer had none (Google refreshes): keep the stored one
    scope: str
    email: str  # the signed-in account, from the id_token, when present


def xoauth2(user: str, access_token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64 (imaplib/smtplib encode it)."""
    return f"user={user}\x01auth=Bearer {access_token}\x01\x01"


def client(provider: str) -> dict:
    return settings.EMAIL_OAUTH_CLIENTS.get(provider, {})


def is_configured(provider: str) -> bool:
    app = client(provider)
    return bool(app.get("client_id") and app.get("client_secret"))


def scopes(provider: str, protocol: str) -> str:
    if provider == GOOGLE:
        return " ".join(GOOGLE_SCOPES)
    return " ".join([MICROSOFT_SCOPES[protocol], MICROSOFT_SCOPES["smtp"], "offline_access", "openid", "email"])


def _token_url(provider: str) -> str:
    if provider == GOOGLE:
        return settings.PROVIDER_BASE_URLS["google_oauth"].rstrip("/") + "/token"
    tenant = client(MICROSOFT).get("tenant") or "common"
    return settings.PROVIDER_BASE_URLS["microsoft_login"].rstrip("/") + f"/{tenant}/oauth2/v2.0/token"


def new_pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(
    provider: str, *, state: str, code_challenge: str, redirect_uri: str, login_hint: str, protocol: str
) -> str:
    params = {
        "client_id": client(provider).get("client_id", ""),
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scopes(provider, protocol),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "login_hint": login_hint,
    }
    if provider == GOOGLE:
        params.update(access_type="offline", prompt="consent", include_granted_scopes="true")
        base = settings.PROVIDER_BASE_URLS["google_accounts"].rstrip("/") + "/o/oauth2/v2/auth"
    else:
        params.update(response_mode="query", prompt="select_account")
        tenant = client(MICROSOFT).get("tenant") or "common"
        base = settings.PROVIDER_BASE_URLS["microsoft_login"].rstrip("/") + f"/{tenant}/oauth2/v2.0/authorize"
    return f"{base}?{urlencode(params)}"


def exchange_code(
    provider: str, *, code: str, code_verifier: str, redirect_uri: str, protocol: str, channel_id: int
) -> Tokens:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    if provider == MICROSOFT:
        form["scope"] = scopes(provider, protocol)
    return _token_call(provider, form, operation="oauth_code_exchange", channel_id=channel_id, secrets=[code])


def refresh(provider: str, *, refresh_token: str, protocol: str, channel_id: int) -> Tokens:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if provider == MICROSOFT:
        form["scope"] = scopes(provider, protocol)
    return _token_call(provider, form, operation="oauth_refresh", channel_id=channel_id, secrets=[refresh_token])


def _token_call(provider: str, form: dict, *, operation: str, channel_id: int, secrets: list) -> Tokens:
    app = client(provider)
    if not (app.get("client_id") and app.get("client_secret")):
        raise OAuthError(
            _("Signing in with %(provider)s is not set up on this server (no OAuth client id/secret).")
            % {"provider": provider.title()},
            code="not_configured",
        )
    form = {**form, "client_id": app["client_id"], "client_secret": app["client_secret"]}
    try:
        response = http.request(
            "POST",
            _token_url(provider),
            provider="email",
            operation=operation,
            channel_id=channel_id,
            data=form,
            headers={"Accept": "application/json"},
            secrets=[*secrets, app["client_secret"]],
        )
    except http.TransportError as exc:
        raise OAuthError(
            _("The sign-in service did not answer: %(error)s") % {"error": exc.message}, transient=True
        ) from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code >= 400 or "access_token" not in data:
        return _refused(response.status_code, data if isinstance(data, dict) else {})
    return Tokens(
        access_token=data["access_token"],
        expires_in=int(data.get("expires_in") or 3600),
        refresh_token=data.get("refresh_token") or "",
        scope=data.get("scope") or "",
        email=_email_from_id_token(data.get("id_token") or ""),
    )


def _refused(status: int, data: dict):
    error = str(data.get("error") or "")
    description = str(data.get("error_description") or "")[:300]
    if error in ("invalid_grant", "interaction_required", "consent_required"):
        raise OAuthError(
            _("Access to the mailbox was revoked or has expired; sign in again to reconnect it. (%(detail)s)")
            % {"detail": description or error},
            code=error,
            reconnect=True,
        )
    if error in ("invalid_client", "unauthorized_client"):
        raise OAuthError(
            _("The server's OAuth app was refused (%(error)s): check its client id and secret.") % {"error": error},
            code=error,
        )
    if status >= 500 or status == 429:
        raise OAuthError(_("The sign-in service failed (%(status)s).") % {"status": status}, transient=True)
    raise OAuthError(
        _("The sign-in service refused the request (%(status)s %(error)s).") % {"status": status, "error": error},
        code=error or str(status),
    )


def _email_from_id_token(id_token: str) -> str:
    """The account that signed in. The id_token came straight from the token endpoint over our
    own TLS connection, which OpenID Connect accepts in place of checking its signature."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("email") or claims.get("preferred_username") or "").lower()
