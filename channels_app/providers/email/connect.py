"""Opening logged-in IMAP, POP3 and SMTP sessions for a mailbox, each recorded in the API call
log (core.http.record_call), with password or OAuth 2.0 (SASL XOAUTH2).

With OAuth, a refused login is retried once with a freshly refreshed access token (a token can
be revoked before it expires); a refresh answered with `invalid_grant` means reconnect.

TLS ("ssl": implicit, "starttls": upgraded before login) always verifies the server's certificate
and name against the default trust store, which honours SSL_CERT_FILE / SSL_CERT_DIR (a private
CA is trusted there, never by turning verification off). With "starttls", a server that does not
offer it is refused before the password is sent.
"""

import base64
import poplib
import smtplib
import socket
import ssl
from collections.abc import Callable
from contextlib import contextmanager

import imapclient
from django.conf import settings
from django.utils.translation import gettext as _
from imapclient.exceptions import IMAPClientError, LoginError

from channels_app.providers.email import oauth
from channels_app.providers.email.config import MailboxConfig, Server
from core import http


class MailboxError(Exception):
    """A mailbox could not be reached or refused us; `message` is for people."""

    def __init__(self, message: str, *, reconnect: bool = False):
        super().__init__(message)
        self.message = message
        self.reconnect = reconnect


# Returns the access token for the channel; `force` skips the cached one (services).
TokenSource = Callable[[bool], str]


def _context() -> ssl.SSLContext:
    # Created per connection: OpenSSL reads SSL_CERT_FILE / SSL_CERT_DIR when it is made.
    return ssl.create_default_context()


def _no_starttls(server: Server) -> MailboxError:
    return MailboxError(
        _(
            "%(server)s does not offer STARTTLS, so we did not sign in (the password would have gone "
            "unencrypted). Check the port and the security setting."
        )
        % {"server": server.label}
    )


def describe(exc: BaseException, server: Server) -> MailboxError:
    """Plain words for what went wrong talking to a mail server."""
    if isinstance(exc, MailboxError):
        return exc
    if isinstance(exc, oauth.OAuthError):
        return MailboxError(exc.message, reconnect=exc.reconnect)
    if isinstance(exc, socket.gaierror):
        return MailboxError(_("The server name %(host)s could not be found.") % {"host": server.host})
    if isinstance(exc, ConnectionRefusedError):
        return MailboxError(_("%(server)s refused the connection; check the port.") % {"server": server.label})
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailboxError(_("%(server)s did not answer in time.") % {"server": server.label})
    if isinstance(exc, ssl.SSLCertVerificationError):
        # verify_message is OpenSSL's reason: "self-signed certificate", "certificate has expired",
        # "Hostname mismatch, certificate is not valid for ...", "unable to get local issuer ...".
        return MailboxError(
            _(
                "The security certificate of %(server)s is not trusted (%(error)s). Check the server "
                "name; if the server uses a private certificate authority, ask the administrator to "
                "add it to the trusted certificates."
            )
            % {"server": server.label, "error": exc.verify_message or exc.reason or exc}
        )
    if isinstance(exc, ssl.SSLError):
        return MailboxError(
            _("Secure connection to %(server)s failed (%(error)s); check the security setting.")
            % {"server": server.label, "error": exc.reason or exc}
        )
    if isinstance(exc, OSError):
        return MailboxError(_("Could not talk to %(server)s: %(error)s") % {"server": server.label, "error": exc})
    return MailboxError(_("The mail server answered unexpectedly: %(error)s") % {"error": str(exc)[:300]})


def _auth_failed(cfg: MailboxConfig, detail: str) -> MailboxError:
    if cfg.oauth_provider:
        return MailboxError(
            _("The mail server refused the signed-in account (%(detail)s); sign in again.") % {"detail": detail},
            reconnect=True,
        )
    return MailboxError(
        _("The mail server refused the user name or password (%(detail)s).") % {"detail": detail},
        reconnect=True,
    )


# --- IMAP -------------------------------------------------------------------------------------
def _imap_open(server: Server) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(
        server.host,
        port=server.port,
        ssl=server.security == "ssl",
        ssl_context=_context() if server.security == "ssl" else None,
        timeout=settings.EMAIL_CHANNEL_TIMEOUT_SECONDS,
    )
    try:
        if server.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise _no_starttls(server)
            client.starttls(_context())
    except BaseException:
        _close_imap(client)
        raise
    return client


def _imap_login(client, cfg: MailboxConfig, password: str, token: TokenSource | None, *, force: bool) -> None:
    if token is None:
        client.login(cfg.username, password)
    else:
        client.oauth2_login(cfg.username, token(force))


@contextmanager
def imap(cfg: MailboxConfig, *, password: str, token: TokenSource | None, channel_id: int, operation: str):
    target = f"imap://{cfg.inbound.label}/{cfg.folder}"
    with http.record_call(provider="email", operation=operation, target=target, channel_id=channel_id):
        client = None
        try:
            for attempt in (1, 2):
                client = _imap_open(cfg.inbound)
                try:
                    _imap_login(client, cfg, password, token, force=attempt == 2)
                    break
                except LoginError as exc:
                    _close_imap(client)
                    client = None
                    if token is None or attempt == 2:
                        raise _auth_failed(cfg, _text(exc)) from exc
            yield client
        except (OSError, IMAPClientError, oauth.OAuthError) as exc:
            raise describe(exc, cfg.inbound) from exc
        finally:
            if client is not None:
                _close_imap(client)


def _close_imap(client) -> None:
    try:
        client.logout()
    except Exception:  # already gone; nothing to tidy
        try:
            client.shutdown()
        except Exception:  # noqa: S110 - closing a dead socket may fail too
            pass


def _text(exc) -> str:
    value = exc.args[0] if isinstance(exc, BaseException) and exc.args else exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)[:200]


# --- POP3 -------------------------------------------------------------------------------------
def _pop3_open(server: Server) -> poplib.POP3:
    timeout = settings.EMAIL_CHANNEL_TIMEOUT_SECONDS
    if server.security == "ssl":
        return poplib.POP3_SSL(server.host, server.port, timeout=timeout, context=_context())
    client = poplib.POP3(server.host, server.port, timeout=timeout)
    try:
        if server.security == "starttls":
            if "STLS" not in _pop3_capabilities(client):
                raise _no_starttls(server)
            client.stls(_context())
    except BaseException:
        _close_pop3(client)
        raise
    return client


def _pop3_capabilities(client: poplib.POP3) -> dict:
    try:
        return client.capa()
    except poplib.error_proto:  # no CAPA: an old server, which offers no STLS either
        return {}


def _pop3_login(client: poplib.POP3, cfg: MailboxConfig, password: str, token: TokenSource | None, force: bool):
    if token is None:
        client.user(cfg.username)
        client.pass_(password)
        return
    initial = base64.b64encode(oauth.xoauth2(cfg.username, token(force)).encode()).decode()
    response = client._shortcmd(f"AUTH XOAUTH2 {initial}")
    if response.startswith(b"+") and not response.startswith(b"+OK"):
        # A failure challenge (JSON error): answer with an empty line to get the final -ERR.
        client._putcmd("")
        client._getresp()


@contextmanager
def pop3(cfg: MailboxConfig, *, password: str, token: TokenSource | None, channel_id: int, operation: str):
    target = f"pop3://{cfg.inbound.label}"
    with http.record_call(provider="email", operation=operation, target=target, channel_id=channel_id):
        client = None
        try:
            for attempt in (1, 2):
                client = _pop3_open(cfg.inbound)
                try:
                    _pop3_login(client, cfg, password, token, force=attempt == 2)
                    break
                except poplib.error_proto as exc:
                    _close_pop3(client)
                    client = None
                    if token is None or attempt == 2:
                        raise _auth_failed(cfg, _text(exc)) from exc
            yield client
            client.quit()  # deletions are committed only by QUIT
            client = None
        except (OSError, poplib.error_proto, oauth.OAuthError) as exc:
            raise describe(exc, cfg.inbound) from exc
        finally:
            if client is not None:
                _close_pop3(client)


def _close_pop3(client: poplib.POP3) -> None:
    try:
        client.close()
    except Exception:  # noqa: S110 - the socket may already be gone
        pass


# --- SMTP -------------------------------------------------------------------------------------
def smtp_open(cfg: MailboxConfig, *, password: str, token: TokenSource | None) -> smtplib.SMTP:
    """A logged-in SMTP session. Raises smtplib/OS errors, MailboxError on refused login."""
    server = cfg.smtp
    timeout = settings.EMAIL_CHANNEL_TIMEOUT_SECONDS
    for attempt in (1, 2):
        if server.security == "ssl":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
            if server.security == "starttls":
                _smtp_starttls(client, server)
        client.ehlo_or_helo_if_needed()
        try:
            if token is not None:
                raw = oauth.xoauth2(cfg.username, token(attempt == 2))
                client.auth("XOAUTH2", lambda challenge=None, raw=raw: "" if challenge else raw)
            elif password:
                _smtp_password_login(client, cfg.username, password)
            return client
        except smtplib.SMTPAuthenticationError as exc:
            try:
                client.quit()
            except Exception:  # noqa: S110 - the server may hang up after a refused login
                pass
            if token is None or attempt == 2:
                raise _auth_failed(cfg, f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
    raise AssertionError("unreachable")


def _smtp_starttls(client: smtplib.SMTP, server: Server) -> None:
    try:
        client.ehlo_or_helo_if_needed()
        if not client.has_extn("starttls"):
            raise _no_starttls(server)
        client.starttls(context=_context())
    except BaseException:
        client.close()
        raise


def _smtp_password_login(client: smtplib.SMTP, user: str, password: str) -> None:
    """One PLAIN attempt when offered (smtplib.login would try every mechanism in turn, and
    some servers hang up after the second refusal, hiding the real answer)."""
    if "plain" in client.esmtp_features.get("auth", "").lower().split():
        client.user, client.password = user, password
        client.auth("PLAIN", client.auth_plain)
    else:
        client.login(user, password)
