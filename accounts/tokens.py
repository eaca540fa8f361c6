"""The JWTs of the public API: their claims, signing and checking. No database here.

Access token:  {"typ": "access",  "sub": <user uuid>, "sid": <session uuid>, "jti", "iat", "exp", "iss", "aud"}
Refresh token: {"typ": "refresh", "sub": <user uuid>, "sid": <session uuid>, "jti", "iat", "exp", "iss", "aud"}

HS256 with JWT_SIGNING_KEY (SECRET_KEY by default). Whether a token's session is still alive is
decided by accounts.services, with the session row.
"""

import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.utils.translation import gettext as _

ALGORITHM = "HS256"
ISSUER = "omnichannel"
AUDIENCE = "omnichannel-api"
ACCESS = "access"
REFRESH = "refresh"
REQUIRED = ["exp", "iat", "sub", "sid", "jti", "typ", "iss", "aud"]


class TokenInvalid(Exception):
    """`code` is one of token_invalid, token_expired, token_revoked (the API error codes)."""

    def __init__(self, message: str, *, code: str = "token_invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Claims:
    typ: str
    sub: str
    sid: str
    jti: str
    exp: int


def encode(*, typ: str, user_uuid, session_uuid, jti=None, ttl: int) -> str:
    now = int(time.time())
    claims = {
        "typ": typ,
        "sub": str(user_uuid),
        "sid": str(session_uuid),
        "jti": str(jti or uuid.uuid4()),
        "iat": now,
        "exp": now + ttl,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def decode(token: str, *, typ: str, verify_exp: bool = True) -> Claims:
    """Check signature, expiry, issuer, audience and type. Raises TokenInvalid."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED, "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError as exc:
        if typ == ACCESS:
            raise TokenInvalid(_("The access token has expired: refresh it."), code="token_expired") from exc
        raise TokenInvalid(_("The refresh token has expired: sign in again."), code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(_("The token is not valid.")) from exc
    if claims.get("typ") != typ:
        raise TokenInvalid(_("This is not an %(type)s token.") % {"type": typ})
    try:
        for name in ("sub", "sid", "jti"):
            uuid.UUID(str(claims[name]))
    except ValueError as exc:
        raise TokenInvalid(_("The token is not valid.")) from exc
    return Claims(typ=claims["typ"], sub=claims["sub"], sid=claims["sid"], jti=claims["jti"], exp=int(claims["exp"]))
