"""An SMTP server on loopback (aiosmtpd) that captures what we send, for tests only.

It authenticates like a real submission server: PLAIN/LOGIN against `users`, and XOAUTH2 with
bearer tokens checked against tests/fakes/oauth_server.py (a refused token gets Google's 334
JSON challenge, then 535). Answers to RCPT and DATA can be scripted to test error handling.

With `tls=` (tests/fakes/tls.py's certificates) it speaks TLS: `tls_mode="starttls"` offers
STARTTLS and refuses MAIL and AUTH before it (submission, port 587); `"implicit"` is TLS from the
first byte (SMTPS, port 465). Each capture records the TLS version it arrived over.
"""

import base64
import json
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fakes.dovecot import free_port


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list
    data: bytes
    login: str
    tls: str = ""  # "TLSv1.3" when the session was encrypted, "" in plaintext

    @property
    def message(self):
        return message_from_bytes(self.data, policy=default)


@dataclass
class SmtpCapture:
    users: dict = field(default_factory=dict)  # login -> password
    oauth: object = None  # an OAuthServer, for XOAUTH2
    rcpt_replies: list = field(default_factory=list)  # scripted answers to RCPT TO, then 250
    data_replies: list = field(default_factory=list)  # scripted answers to DATA, then 250
    received: list = field(default_factory=list)
    auth_attempts: list = field(default_factory=list)  # (mechanism, login, ok)
    tls: object = None  # tests.fakes.tls.Certificates, or None: plaintext only
    tls_mode: str = "starttls"  # starttls | implicit

    def __post_init__(self):
        capture = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if capture.rcpt_replies:
                    return capture.rcpt_replies.pop(0)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if capture.data_replies:
                    return capture.data_replies.pop(0)
                login = session.auth_data if isinstance(session.auth_data, str) else ""
                if isinstance(session.auth_data, LoginPassword):
                    login = session.auth_data.login.decode()
                secured = server.transport.get_extra_info("ssl_object")
                tls = secured.version() if secured is not None else ""
                capture.received.append(
                    Captured(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login, tls)
                )
                return "250 2.0.0 Ok: queued"

            async def auth_XOAUTH2(self, server, args):
                blob = args[1] if len(args) > 1 else ""
                text = base64.b64decode(blob).decode() if blob else ""
                fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
                user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
                issued = capture.oauth.introspect(token) if capture.oauth else {"active": "false"}
                ok = issued.get("active") == "true" and issued.get("email") == user
                capture.auth_attempts.append(("XOAUTH2", user, ok))
                if ok:
                    return AuthResult(success=True, auth_data=user)
                challenge = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})
                await server.challenge_auth(challenge.encode())  # the client answers with an empty line
                return AuthResult(success=False, handled=False)

        def authenticator(server, session, envelope, mechanism, auth_data):
            login = auth_data.login.decode()
            ok = capture.users.get(login) == auth_data.password.decode()
            capture.auth_attempts.append((mechanism, login, ok))
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        encryption = {}
        if self.tls is not None and self.tls_mode == "implicit":
            encryption = {"ssl_context": self.tls.server_context()}
        elif self.tls is not None:
            encryption = {"tls_context": self.tls.server_context(), "require_starttls": True}
        self.port = free_port()
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
            **encryption,
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
