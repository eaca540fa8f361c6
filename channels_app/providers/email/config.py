"""A mailbox's configuration, read from Channel.settings (written by forms.EmailChannelForm)."""

from dataclasses import dataclass
from datetime import date

PASSWORD = "password"
GOOGLE = "google"
MICROSOFT = "microsoft"
OAUTH_PROVIDERS = (GOOGLE, MICROSOFT)

# Well-known servers, filled in by the setup form when an OAuth provider is chosen.
PRESETS = {
    GOOGLE: {
        "imap": ("imap.gmail.com", 993, "ssl"),
        "pop3": ("pop.gmail.com", 995, "ssl"),
        "smtp": ("smtp.gmail.com", 465, "ssl"),
    },
    MICROSOFT: {
        "imap": ("outlook.office365.com", 993, "ssl"),
        "pop3": ("outlook.office365.com", 995, "ssl"),
        "smtp": ("smtp.office365.com", 587, "starttls"),
    },
}


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # ssl | starttls | none

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class MailboxConfig:
    address: str
    display_name: str
    username: str
    auth_method: str
    protocol: str  # imap | pop3
    inbound: Server
    smtp: Server
    folder: str
    after_fetch: str  # seen | delete
    poll_interval: int  # seconds
    import_since: date | None
    signature: str

    @property
    def oauth_provider(self) -> str:
        return self.auth_method if self.auth_method in OAUTH_PROVIDERS else ""

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1] or "localhost"


def of(channel) -> MailboxConfig:
    s = channel.settings
    since = s.get("import_since") or None
    return MailboxConfig(
        address=s.get("address", ""),
        display_name=s.get("display_name", "") or channel.name,
        username=s.get("username") or s.get("address", ""),
        auth_method=s.get("auth_method", PASSWORD),
        protocol=s.get("protocol", "imap"),
        inbound=Server(s.get("inbound_host", ""), int(s.get("inbound_port") or 993), s.get("inbound_security", "ssl")),
        smtp=Server(s.get("smtp_host", ""), int(s.get("smtp_port") or 587), s.get("smtp_security", "starttls")),
        folder=s.get("folder") or "INBOX",
        after_fetch=s.get("after_fetch", "seen"),
        poll_interval=int(s.get("poll_interval") or 60),
        import_since=date.fromisoformat(since) if since else None,
        signature=s.get("signature", ""),
    )
