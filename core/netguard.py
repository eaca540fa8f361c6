"""SSRF guard for URLs that users give us (outbound webhooks, `api`-channel callbacks).

A URL is refused when its host is, or resolves to, a loopback, private, link-local (cloud
metadata), multicast, reserved or unspecified address. The caller connects to the address that
was checked (core.http pins it), so a DNS answer that changes between check and connect cannot
slip through.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeURL(ValueError):
    pass


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str) -> str | None:
    """Validate a URL's shape and target. Returns the IP to connect to, or None when private
    targets are allowed (development) and no pinning is wanted. Raises UnsafeURL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(_("The URL must start with http:// or https:// and name a host."))
    if parts.username or parts.password:
        raise UnsafeURL(_("The URL must not contain a user name or password."))
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(_("The URL has an invalid port.")) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": parts.hostname}) from exc
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise UnsafeURL(_("The host name %(host)s does not resolve.") % {"host": parts.hostname})
    for text in addresses:
        if not _is_public(ipaddress.ip_address(text.split("%")[0])):
            raise UnsafeURL(
                _("The URL points to a private, loopback or link-local address (%(address)s), which is not allowed.")
                % {"address": text}
            )
    return sorted(addresses)[0]
