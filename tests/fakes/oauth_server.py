"""A local OAuth 2.0 authorisation server speaking Google's and Microsoft's token contracts, for
tests only. It also answers Dovecot's token introspection, so the real IMAP/POP3 server in the
tests accepts exactly the access tokens this server issued and has not revoked.

Routes:
  GET  /o/oauth2/v2/auth, /<tenant>/oauth2/v2.0/authorize   consent at once: 302 to redirect_uri
  POST /token, /<tenant>/oauth2/v2.0/token                  authorization_code | refresh_token
  POST /introspect                                          RFC 7662, for Dovecot's oauth2 passdb
Google refreshes carry no refresh token; Microsoft's rotate it (the old one stops working).
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Grant:
    email: str
    refresh_token: str
    revoked: bool = False


@dataclass
class Issued:
    email: str
    expires_at: float


@dataclass
class OAuthServer:
    client_id: str = "test-client-id"
    client_secret: str = "test-client-secret"
    account: str = "support@example.com"  # who "signs in" at the authorize endpoint
    expires_in: int = 3600
    grants: dict = field(default_factory=dict)  # refresh token -> Grant
    codes: dict = field(default_factory=dict)  # code -> (email, code_challenge, redirect_uri)
    access: dict = field(default_factory=dict)  # access token -> Issued
    requests: list = field(default_factory=list)  # (path, form)
    fail_next: list = field(default_factory=list)  # scripted (status, body) answers for /token

    def __post_init__(self):
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path.endswith(("/auth", "/authorize")):
                    code = "code-" + secrets.token_urlsafe(12)
                    with server.lock:
                        server.requests.append((parts.path, query))
                        server.codes[code] = (server.account, query.get("code_challenge"), query.get("redirect_uri"))
                    target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return
                self._json(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                path = urlsplit(self.path).path
                with server.lock:
                    server.requests.append((path, form))
                if path == "/introspect":
                    self._json(200, server.introspect(form.get("token", "")))
                elif path.endswith("/token"):
                    status, body = server.token(form, microsoft="/oauth2/v2.0/" in path)
                    self._json(status, body)
                else:
                    self._json(404, {"error": "not_found"})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what tests arrange -------------------------------------------------------------------
    def grant(self, email: str) -> str:
        """A refresh token for `email`, as if its owner had consented earlier."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self.lock:
            self.grants[token] = Grant(email=email, refresh_token=token)
        return token

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.grants[refresh_token].revoked = True
            for token, issued in list(self.access.items()):
                if issued.email == self.grants[refresh_token].email:
                    del self.access[token]

    def issue_access(self, email: str, expires_in: int | None = None) -> str:
        token = "at-" + secrets.token_urlsafe(16)
        with self.lock:
            self.access[token] = Issued(email=email, expires_at=time.time() + (expires_in or self.expires_in))
        return token

    # --- the contracts ------------------------------------------------------------------------
    def introspect(self, token: str) -> dict:
        with self.lock:
            issued = self.access.get(token)
        if issued is None or issued.expires_at < time.time():
            return {"active": "false"}
        return {"active": "true", "email": issued.email}

    def token(self, form: dict, *, microsoft: bool) -> tuple[int, dict]:
        with self.lock:
            if self.fail_next:
                return self.fail_next.pop(0)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Unknown client."}
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with self.lock:
                found = self.codes.pop(form.get("code", ""), None)
            if found is None:
                return 400, {"error": "invalid_grant", "error_description": "Bad code."}
            email, challenge, redirect_uri = found
            verifier = form.get("code_verifier", "")
            expected = base64.urlsafe_b64encode(__import__("hashlib").sha256(verifier.encode()).digest()).rstrip(b"=")
            if challenge and expected.decode() != challenge or redirect_uri != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "PKCE or redirect_uri mismatch."}
            refresh = self.grant(email)
            return 200, self._tokens(email, refresh_token=refresh)
        if grant_type == "refresh_token":
            with self.lock:
                grant = self.grants.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                body = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                if microsoft:
                    body.update(error_description="AADSTS70008: The refresh token has expired.", error_codes=[70008])
                return 400, body
            if microsoft:  # rotation: the old refresh token is spent
                with self.lock:
                    grant.revoked = True
                return 200, self._tokens(grant.email, refresh_token=self.grant(grant.email))
            return 200, self._tokens(grant.email)
        return 400, {"error": "unsupported_grant_type"}

    def _tokens(self, email: str, refresh_token: str = "") -> dict:
        body = {
            "access_token": self.issue_access(email),
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "scope": "https://mail.google.com/ openid email",
            "id_token": _unsigned_jwt({"email": email, "iss": "fake"}),
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body


def _unsigned_jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."
