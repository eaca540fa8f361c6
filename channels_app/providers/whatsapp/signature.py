"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256 of the raw
body, keyed with the App Secret>`. Always computed over the bytes received, never over
re-serialised JSON (that changes escaping and whitespace). Only the SHA-256 header is accepted;
the legacy `X-Hub-Signature` (SHA-1) is ignored."""

from core import signing

HEADER = "X-Hub-Signature-256"


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + signing.hmac_sha256_hex(app_secret, body)


def is_valid(app_secret: str, body: bytes, header_value: str | None) -> bool:
    if not app_secret or not header_value or not header_value.startswith("sha256="):
        return False
    return signing.matches(sign(app_secret, body), header_value.strip())


def handshake_answer(query, verify_token: str) -> tuple[int, str] | None:
    """Meta's GET verification: `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` is
    answered 200 with the bare challenge when the token matches, 403 otherwise; None when the
    request is not a handshake at all."""
    if "hub.mode" not in query and "hub.verify_token" not in query:
        return None
    given = query.get("hub.verify_token", "")
    if query.get("hub.mode") == "subscribe" and verify_token and signing.matches(verify_token, given):
        return 200, query.get("hub.challenge", "")
    return 403, ""
