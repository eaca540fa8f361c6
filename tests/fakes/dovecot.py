"""A real Dovecot (Debian's dovecot-imapd and dovecot-pop3d) run from a temporary directory on
free loopback ports: IMAP and POP3 without TLS, any user name with the one password
`Dovecot.PASSWORD` (each test takes its own user, so mailboxes never mix), and XOAUTH2 checked
against an OAuth server's introspection endpoint (tests/fakes/oauth_server.py).

With `tls=` (tests/fakes/tls.py's certificates) it also listens for IMAPS and POP3S on ports of
their own (`imaps_port`, `pop3s_port`) and offers STARTTLS/STLS on the plain ports.

Not a fake: the protocol, UIDs, UIDVALIDITY and flags are Dovecot's own. Used by the tests and
by bench/email_ingest.py. Started as root (CI), mail is owned by the `dovecot` system user;
started by anyone else, everything runs as that user.
"""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import imapclient

DOVECOT = "/usr/sbin/dovecot"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
mail_fsync = never
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
{imaps}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
{pop3s}
  }}
}}
passdb {{
  driver = static
  args = password={password}
  mechanisms = plain login
}}
passdb {{
  driver = oauth2
  args = {root}/oauth2.conf
  mechanisms = xoauth2 oauthbearer
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
"""

OAUTH2 = """
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = email
active_attribute = active
active_value = true
"""

# `<path`: Dovecot reads the files at start (as root in CI), before dropping privileges.
SSL_ON = "ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
LISTENER_OFF = "    port = 0"
LISTENER_ON = "    address = 127.0.0.1\n    port = {port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    PASSWORD = "s3cret-pw"

    def __init__(self, introspection_url: str = "http://127.0.0.1:9/introspect", *, tls=None):
        if not Path(DOVECOT).exists():
            raise RuntimeError("Dovecot is not installed: run scripts/test_services.sh (dovecot-imapd, dovecot-pop3d)")
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.tls = tls  # tests.fakes.tls.Certificates (cert and key paths), or None: no TLS at all
        self.imaps_port = free_port() if tls else None
        self.pop3s_port = free_port() if tls else None
        self.introspection_url = introspection_url
        self.process = None
        if os.getuid() == 0:
            users = {"login_user": "dovenull", "internal_user": "dovecot", "internal_group": "dovecot"}
            mail_user, mail_group = "dovecot", "dovecot"
        else:
            me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            users = {"login_user": me, "internal_user": me, "internal_group": group}
            mail_user, mail_group = me, group
        self.mail_user = mail_user
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                imap_port=self.imap_port,
                pop3_port=self.pop3_port,
                mail_user=mail_user,
                mail_group=mail_group,
                password=self.PASSWORD,
                ssl=SSL_ON.format(cert=tls.cert, key=tls.key) if tls else "ssl = no",
                imaps=LISTENER_ON.format(port=self.imaps_port) if tls else LISTENER_OFF,
                pop3s=LISTENER_ON.format(port=self.pop3s_port) if tls else LISTENER_OFF,
                **users,
            )
        )
        (self.root / "oauth2.conf").write_text(OAUTH2.format(introspection_url=introspection_url))
        if os.getuid() == 0:
            shutil.chown(self.root, mail_user, mail_group)
            os.chmod(self.root, 0o755)

    def start(self) -> "Dovecot":
        # stdin/stdout/stderr detached: a daemon holding the caller's pipe would hang it.
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        ports = [p for p in (self.imap_port, self.pop3_port, self.imaps_port, self.pop3s_port) if p]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot exited at start:\n{self.log()}")
            try:
                for port in ports:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def logins(self, user: str) -> list[str]:
        """Dovecot's log line for each login of `user`; one made over TLS says `, TLS,`."""
        path = self.root / "dovecot.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return [line for line in text.splitlines() if f"Login: user=<{user}>," in line]

    # --- arranging mailboxes ------------------------------------------------------------------
    def client(self, email: str, password: str) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        client.login(email, password)
        return client

    def deliver(self, email: str, password: str, *raws: bytes, folder: str = "INBOX", flags=()) -> list[int]:
        """APPEND mails (as an MTA would deliver them); returns their UIDs."""
        uids = []
        with self.client(email, password) as client:
            for raw in raws:
                answer = client.append(folder, raw, flags=flags)
                # "[APPENDUID <uidvalidity> <uid>] Append completed."
                uids.append(int(answer.split(b"]")[0].split()[-1]))
        return uids

    def folder_flags(self, email: str, password: str, folder: str = "INBOX") -> dict[int, tuple]:
        with self.client(email, password) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}

    def recreate_folder(self, email: str, password: str, folder: str) -> None:
        """Delete and recreate a folder with the same mails: a new UIDVALIDITY."""
        with self.client(email, password) as client:
            client.select_folder(folder, readonly=True)
            raws = [d[b"BODY[]"] for _, d in sorted(client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"]).items())]
            client.unselect_folder()
            client.delete_folder(folder)
            time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
            client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)
