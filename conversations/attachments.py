"""Attachment files: checked by content, stored in Django storage, served by signed URLs.

A file's type is decided by its bytes (magic numbers), not its name or the declared type: a
`.jpg` that is really an HTML page is stored as what it is and never served inline. URLs carry an
expiry and an HMAC; an URL minted for a user only works for that user, a public one (for a
provider fetching media we send) for anyone until it expires.
"""

import mimetypes
import time
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.translation import gettext as _

from conversations.models import Attachment, Message
from core.exceptions import PolicyViolation

# Types a browser may render inline; anything else is served as a download.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg", "audio/ogg", "video/mp4"}
TEXTUAL = {"text/plain", "text/csv"}
_SALT = "attachment-url"


@dataclass(frozen=True)
class StoredFile:
    """A file on its way in: bytes plus the name and type we decided on."""

    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes, *, name: str = "", declared: str = "") -> str:
    """The content type the bytes really are; the declared type is only trusted for plain text."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime
    guessed = declared or mimetypes.guess_type(name)[0] or ""
    if guessed in TEXTUAL or guessed.startswith("text/"):
        try:
            data[:65536].decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
    return "application/octet-stream"


def prepare_file(
    *, name: str, data: bytes, declared_type: str = "", max_bytes: int | None = None, allowed: tuple[str, ...] = ()
) -> StoredFile:
    """Validate an incoming file and decide its type. Raises PolicyViolation with a reason."""
    limit = max_bytes or settings.ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise PolicyViolation(
            _("%(name)s is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"name": name, "size": round(len(data) / 1e6, 1), "limit": round(limit / 1e6, 1)}
        )
    if not data:
        raise PolicyViolation(_("%(name)s is empty.") % {"name": name})
    content_type = sniff(data, name=name, declared=declared_type)
    if allowed and not any(
        content_type == a or (a.endswith("/*") and content_type.startswith(a[:-1])) for a in allowed
    ):
        raise PolicyViolation(_("Files of type %(type)s are not accepted here.") % {"type": content_type})
    clean_name = (name or "file").replace("/", "_").replace("\\", "_").strip()[:200] or "file"
    return StoredFile(name=clean_name, content_type=content_type, data=data)


def attachment_create(*, message: Message, stored: StoredFile) -> Attachment:
    attachment = Attachment(message=message, name=stored.name, size=stored.size, content_type=stored.content_type)
    attachment.file.save(stored.name, ContentFile(stored.data), save=False)
    attachment.save()
    return attachment


def signed_url(attachment: Attachment, *, user_id: int | None, ttl: int | None = None, absolute: bool = False) -> str:
    expires = int(time.time()) + (ttl or settings.ATTACHMENT_URL_TTL_SECONDS)
    token = signing.dumps({"a": str(attachment.uuid), "u": user_id, "e": expires}, salt=_SALT, compress=True)
    path = reverse("attachment-download", kwargs={"token": token})
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path


def unsign(token: str) -> tuple[str, int | None] | None:
    """(attachment uuid, user id or None) for a valid, unexpired token; else None."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or int(data.get("e", 0)) < time.time():
        return None
    return data.get("a"), data.get("u")


def is_inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES
