"""Who may use a widget, and from where.

- Allowed sites: each widget lists the sites (domains or origins) that may embed it. The loader
  tells the frame the embedding page's origin; the frame is only served for an allowed origin and
  with `Content-Security-Policy: frame-ancestors <that origin>`, so the browser itself refuses to
  show it inside any other page. The helpdesk's own origin is always allowed (demo page, preview).
- Same origin: the chat runs in that frame, on our origin, so every visitor request and the
  visitor WebSocket must come from our own origin (`Origin` checked exactly: scheme, host, port).
  A script on another site cannot post messages or open the socket, even with a stolen token.
- Visitor tokens: signed (Django's signing, SECRET_KEY) `{channel, visitor, embedding origin,
  verified user id}`. Stateless and long-lived, kept in the frame's local storage; the embedding
  origin is re-checked against the widget's current list on every use.
- Verified identity: the site's backend signs its user id with the widget's identity secret
  (hex HMAC-SHA256); a visitor cannot claim another user's id without that secret.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

_VISITOR_SALT = "web-widget.visitor"
_TICKET_SALT = "web-widget.ticket"
TICKET_MAX_AGE = 12 * 3600
MAX_EXTERNAL_ID = 128
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidDomain(ValueError):
    pass


# --- sites ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SitePattern:
    host: str  # lower case; "" for "any site"
    port: int | None = None
    scheme: str = ""
    subdomains: bool = False  # "*.example.com": any subdomain, not the apex

    def matches(self, origin: "Origin") -> bool:
        if not self.host:
            return True
        if self.scheme and self.scheme != origin.scheme:
            return False
        if self.port is not None and self.port != origin.port:
            return False
        if self.subdomains:
            return origin.host.endswith("." + self.host)
        return origin.host == self.host


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self):
        default = DEFAULT_PORTS.get(self.scheme)
        return f"{self.scheme}://{self.host}" + ("" if self.port == default else f":{self.port}")


def parse_origin(value: str) -> Origin | None:
    """`https://shop.example.com[:port]` → Origin; None for anything else (paths, `null`)."""
    try:
        parts = urlsplit((value or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username:
        return None
    return Origin(parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme])


def parse_sites(text: str) -> list[SitePattern]:
    """Sites as an admin types them, separated by commas, spaces or lines: `*` (any site),
    `example.com`, `*.example.com`, `localhost:3000`, `https://shop.example.com`."""
    patterns = []
    for raw in (text or "").replace(",", " ").split():
        entry = raw.strip().lower()
        entry = entry if entry.endswith("://") else entry.rstrip("/")
        if entry == "*":
            patterns.append(SitePattern(host=""))
            continue
        scheme = ""
        if "://" in entry:
            origin = parse_origin(entry)
            if origin is None:
                raise InvalidDomain(_("“%(entry)s” is not a site address.") % {"entry": raw})
            patterns.append(SitePattern(host=origin.host, port=origin.port, scheme=origin.scheme))
            continue
        subdomains = entry.startswith("*.")
        host, _sep, port = entry.removeprefix("*.").partition(":")
        if not host or not all(part and _host_label(part) for part in host.split(".")):
            raise InvalidDomain(_("“%(entry)s” is not a domain.") % {"entry": raw})
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise InvalidDomain(_("“%(entry)s” has an invalid port.") % {"entry": raw})
        patterns.append(SitePattern(host=host, port=int(port) if port else None, scheme=scheme, subdomains=subdomains))
    return patterns


def _host_label(label: str) -> bool:
    return all(ch.isalnum() or ch == "-" for ch in label) and not label.startswith("-")


def own_origins(request=None) -> set[str]:
    """Our own origin(s): the public base URL's, and the one this request was addressed to."""
    origins = set()
    public = parse_origin(settings.PUBLIC_BASE_URL)
    if public:
        origins.add(str(public))
    if request is not None:
        here = parse_origin(f"{request.scheme}://{request.get_host()}")
        if here:
            origins.add(str(here))
    return origins


def site_allowed(channel, origin: str, *, own: set[str]) -> bool:
    """May a page on `origin` embed this widget? (Our own origin always may.)"""
    parsed = parse_origin(origin)
    if parsed is None:
        return False
    if str(parsed) in own:
        return True
    try:
        patterns = parse_sites(channel.settings.get("allowed_domains", ""))
    except InvalidDomain:
        return False
    return any(pattern.matches(parsed) for pattern in patterns)


# --- tickets and tokens -------------------------------------------------------------------------
def ticket_issue(*, channel_uuid, origin: str) -> str:
    """Handed to the frame served for an allowed origin; exchanged for a visitor session."""
    return signing.dumps({"c": str(channel_uuid), "o": origin}, salt=_TICKET_SALT, compress=True)


def ticket_read(ticket: str) -> tuple[str, str] | None:
    try:
        data = signing.loads(ticket or "", salt=_TICKET_SALT, max_age=TICKET_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str) or not isinstance(data.get("o"), str):
        return None
    return data["c"], data["o"]


@dataclass(frozen=True)
class Visitor:
    channel_uuid: str
    visitor_id: str  # random, one per browser (per embedding site)
    origin: str  # the site the visitor chats from
    external_id: str = ""  # the site's own user id, when verified

    @property
    def key(self) -> str:
        return f"user:{self.external_id}" if self.external_id else self.visitor_id

    @property
    def address(self) -> str:
        """The visitor's ContactIdentity address (medium `web`): one per person per widget, so
        a verified user's devices share one identity, contact and history."""
        return f"{self.channel_uuid}:{self.key}"

    @property
    def verified(self) -> bool:
        return bool(self.external_id)


def visitor_new(*, channel_uuid, origin: str, external_id: str = "") -> Visitor:
    return Visitor(channel_uuid=str(channel_uuid), visitor_id=uuid.uuid4().hex, origin=origin, external_id=external_id)


def token_issue(visitor: Visitor) -> str:
    data = {"c": visitor.channel_uuid, "v": visitor.visitor_id, "o": visitor.origin}
    if visitor.external_id:
        data["x"] = visitor.external_id
    return signing.dumps(data, salt=_VISITOR_SALT, compress=True)


def token_read(token: str) -> Visitor | None:
    try:
        data = signing.loads(token or "", salt=_VISITOR_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("c", "v", "o")):
        return None
    return Visitor(channel_uuid=data["c"], visitor_id=data["v"], origin=data["o"], external_id=str(data.get("x") or ""))


def identity_hash(secret: str, external_id: str) -> str:
    """What the site's backend computes: hex HMAC-SHA256 of the user id, keyed with the secret."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def identity_valid(secret: str, external_id: str, given_hash: str) -> bool:
    if not secret or not external_id or not given_hash:
        return False
    return hmac.compare_digest(identity_hash(secret, external_id), str(given_hash).strip().lower())
