"""API-AUTH: tokens from a password or an API key, rotation, revocation, and every way a
token can be bad (expired, tampered, revoked, wrong type) answered 401 in the error shape."""

import base64
import json

import jwt
import pytest
from django.test import override_settings

from accounts import services as account_services
from accounts import tokens
from accounts.models import ApiSession
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def _obtain(api, **body):
    return api.post("/auth/token", body)


def test_password_login_gives_tokens_that_open_the_api(api, personas):
    response = _obtain(api, username="ana", password="pw-ana-123")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "expires_in"}
    assert body["expires_in"] == 900
    api.token = body["access"]
    assert api.get("/conversations").status_code == 200


def test_the_username_may_be_the_email(api, personas):
    assert _obtain(api, username="ANA@example.com", password="pw-ana-123").status_code == 200


def test_a_wrong_password_is_a_401_in_the_error_shape(api, personas):
    response = _obtain(api, username="ana", password="nope")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_username_and_api_key_together_are_a_400(api, personas):
    response = _obtain(api, username="ana", password="pw-ana-123", api_key="ock_x")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_an_api_key_gives_tokens_acting_as_its_user(api, personas):
    key, raw = account_services.api_key_create(name="CRM", user=personas.agent_a, created_by=personas.admin)

    response = _obtain(api, api_key=raw)

    assert response.status_code == 200
    claims = jwt.decode(response.json()["access"], options={"verify_signature": False})
    assert claims["sub"] == str(personas.agent_a.uuid)
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.hashed != raw and raw not in key.hashed  # stored hashed, never as is


def test_a_revoked_api_key_cannot_sign_in_and_its_tokens_stop_working(api, personas):
    key, raw = account_services.api_key_create(name="CRM", user=personas.agent_a, created_by=personas.admin)
    api.token = _obtain(api, api_key=raw).json()["access"]
    assert api.get("/conversations").status_code == 200

    account_services.api_key_revoke(api_key=key)

    assert api.get("/conversations").status_code == 401
    assert _obtain(api, api_key=raw).status_code == 401


def test_a_request_without_a_token_is_a_401_asking_for_bearer(api, personas):
    response = api.get("/conversations")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "not_authenticated"


def test_refresh_rotates_and_a_spent_refresh_token_revokes_the_session(api, personas):
    first = _obtain(api, username="ana", password="pw-ana-123").json()

    rotated = api.post("/auth/refresh", {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh"] != first["refresh"]
    api.token = second["access"]
    assert api.get("/conversations").status_code == 200

    # The first refresh token was spent: presenting it again means it was copied.
    reused = api.post("/auth/refresh", {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert error_of(reused)["code"] == "token_revoked"
    assert api.get("/conversations").status_code == 401  # the whole session is gone
    assert api.post("/auth/refresh", {"refresh": second["refresh"]}).status_code == 401


def test_revoke_kills_the_refresh_token_and_every_access_token_of_its_session(api, personas):
    session = _obtain(api, username="ana", password="pw-ana-123").json()
    later = api.post("/auth/refresh", {"refresh": session["refresh"]}).json()
    other_session = _obtain(api, username="ana", password="pw-ana-123").json()

    response = api.post("/auth/revoke", {"refresh": later["refresh"]})

    assert response.status_code == 204
    for access in (session["access"], later["access"]):
        api.token = access
        revoked = api.get("/conversations")
        assert revoked.status_code == 401
        assert error_of(revoked)["code"] == "token_revoked"
    assert api.post("/auth/refresh", {"refresh": later["refresh"]}).status_code == 401
    api.token = other_session["access"]
    assert api.get("/conversations").status_code == 200  # another sign-in is untouched


def test_an_expired_access_token_is_a_401(api, personas):
    session = ApiSession.objects.get(uuid=_session_of(_obtain(api, username="ana", password="pw-ana-123").json()))
    api.token = tokens.encode(typ=tokens.ACCESS, user_uuid=personas.agent_a.uuid, session_uuid=session.uuid, ttl=-5)

    response = api.get("/conversations")

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


@pytest.mark.parametrize("tamper", ["payload", "signature", "other_key", "alg_none", "refresh_as_access", "garbage"])
def test_a_tampered_token_is_a_401(api, personas, tamper):
    pair = _obtain(api, username="ana", password="pw-ana-123").json()
    header, payload, signature = pair["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    if tamper == "payload":  # claim to be the admin, keep the signature
        claims["sub"] = str(personas.admin.uuid)
        forged = f"{header}.{_b64(claims)}.{signature}"
    elif tamper == "signature":
        forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    elif tamper == "other_key":
        forged = jwt.encode(claims, "not-our-key-but-long-enough-for-hs256!!", algorithm="HS256")
    elif tamper == "alg_none":
        forged = jwt.encode(claims, None, algorithm="none")
    elif tamper == "refresh_as_access":
        forged = pair["refresh"]
    else:
        forged = "not-a-jwt"
    api.token = forged

    response = api.get("/conversations")

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_a_deactivated_user_is_locked_out_at_once(api, personas):
    api.token = _obtain(api, username="ana", password="pw-ana-123").json()["access"]
    personas.agent_a.is_active = False
    personas.agent_a.save()

    assert api.get("/conversations").status_code == 401


def test_revoking_a_tampered_refresh_token_is_refused(api, personas):
    response = api.post("/auth/revoke", {"refresh": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"})

    assert response.status_code == 401


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_revocation_holds_at_once_in_another_server_process(web_processes, personas):
    first, second = web_processes
    status, _headers, pair = first.request("POST", "/api/v1/auth/token", {"username": "ana", "password": "pw-ana-123"})
    assert status == 200
    assert second.request("GET", "/api/v1/conversations", token=pair["access"])[0] == 200

    status, _headers, _body = first.request("POST", "/api/v1/auth/revoke", {"refresh": pair["refresh"]})
    assert status == 204

    status, _headers, body = second.request("GET", "/api/v1/conversations", token=pair["access"])
    assert status == 401
    assert body["error"]["code"] == "token_revoked"


@override_settings(JWT_ACCESS_TTL_SECONDS=60)
def test_expires_in_follows_the_setting(api, personas):
    assert _obtain(api, username="ana", password="pw-ana-123").json()["expires_in"] == 60


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _session_of(pair: dict) -> str:
    return jwt.decode(pair["access"], options={"verify_signature": False})["sid"]
