"""Reading a raw mail: headers decoded, the body in any charset, attachments, loops, bounces.

`email.policy.default` decodes RFC 2047 headers and RFC 2231 file names (the library's default
`compat32` policy hands back the encoded words: a classic bug). Charsets are read as declared,
with ISO-8859-1 and US-ASCII read as Windows-1252 (its superset, as browsers do), and a
mislabelled body detected with charset-normalizer before falling back to Windows-1252.
"""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from charset_normalizer import from_bytes

_SUPERSETS = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
_MSGID = re.compile(r"<([^<>\s]+)>")
PROVIDER_ID_MAX = 250


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def header(msg: Message, name: str) -> str:
    """A header as text, decoded; "" when absent or unreadable (a malformed header must not
    lose the mail)."""
    try:
        value = msg.get(name)
    except Exception:
        value = None
        raw = msg.get_all(name) if hasattr(msg, "get_all") else None
        if raw:
            value = str(raw[0])
    return _c1_as_cp1252(" ".join(str(value).split())) if value is not None else ""


_C1 = re.compile("[\x80-\x9f]")


def _c1_as_cp1252(text: str) -> str:
    """Encoded words declared ISO-8859-1 but written by Windows: C1 control characters are
    really Windows-1252 punctuation (dashes, curly quotes)."""
    return _C1.sub(lambda m: bytes([ord(m.group())]).decode("cp1252", errors="replace"), text)


@dataclass(frozen=True)
class Address:
    name: str
    address: str


def addresses(msg: Message, name: str) -> list[Address]:
    found = []
    for display, addr in getaddresses([header(msg, name)]):
        if "@" in addr:
            found.append(Address(name=display.strip().strip('"'), address=addr.strip()))
    return found


def first_address(msg: Message, name: str) -> Address | None:
    found = addresses(msg, name)
    return found[0] if found else None


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets."""
    ids = _MSGID.findall(value or "")
    if not ids and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]  # a bare id without brackets (some mailers)
    return ids


def provider_id(msg_id: str) -> str:
    """A Message-ID as we store it (Message.provider_message_id, max 255)."""
    if len(msg_id) <= PROVIDER_ID_MAX:
        return msg_id
    return "sha256:" + hashlib.sha256(msg_id.encode()).hexdigest()


def own_message_id(msg: Message, raw: bytes) -> str:
    ids = message_ids(header(msg, "Message-ID"))
    if ids:
        return provider_id(ids[0])
    # No Message-ID (rare, broken mailers): the content itself identifies it.
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def date(msg: Message) -> datetime | None:
    value = header(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def decode_bytes(data: bytes, charset: str | None) -> str:
    declared = (charset or "").strip().strip('"').lower()
    candidates = []
    if declared:
        candidates.append(_SUPERSETS.get(declared, declared))
    candidates.append("utf-8")
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1252", errors="replace")


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    return decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Body:
    text: str = ""
    html: str = ""
    attachments: list = field(default_factory=list)  # (name, content_type, bytes, content_id or "")


def body_of(msg: Message) -> Body:
    """The displayed text and HTML (first of each that is not an attachment) and every other
    leaf part as an attachment (inline images keep their Content-ID)."""
    body = Body()
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if content_type == "message/rfc822" or content_type.startswith("message/"):
            continue  # only inside reports (bounces), handled there
        if disposition != "attachment" and not filename and content_type == "text/plain" and not body.text:
            body.text = part_text(part)
        elif disposition != "attachment" and not filename and content_type == "text/html" and not body.html:
            body.html = part_text(part)
        elif disposition == "attachment" or filename or not content_type.startswith("text/"):
            data = part.get_payload(decode=True) or b""
            content_id = (part.get("Content-ID") or "").strip().strip("<>")
            name = filename or _default_name(content_type, index)
            body.attachments.append((name, content_type, data, content_id))
    return body


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return " ".join(name.split())[:200]


def _default_name(content_type: str, index: int) -> str:
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "application/pdf": "pdf"}.get(
        content_type, "bin"
    )
    return f"part-{index}.{extension}"


# --- loops and bounces ------------------------------------------------------------------------
_AUTOMATED_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


def automated_reason(msg: Message) -> str:
    """Why this mail was sent by a machine (RFC 3834 and the de-facto headers), or ""."""
    auto_submitted = header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-submitted: {auto_submitted}"
    precedence = header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Autogenerated"):
        if header(msg, name):
            return name.lower()
    if header(msg, "List-Id") or header(msg, "List-Unsubscribe"):
        return "mailing list"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    return_path = msg.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "empty return path"
    sender = first_address(msg, "From")
    if sender and _AUTOMATED_SENDERS.match(sender.address):
        return "mailer daemon"
    return ""


@dataclass(frozen=True)
class DeliveryFailure:
    original_message_id: str
    recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # RFC 3463, e.g. 5.1.1
    diagnostic: str


def delivery_report(msg: Message) -> list[DeliveryFailure]:
    """The per-recipient results of an RFC 3464 report (multipart/report; delivery-status),
    with the Message-ID of the mail it reports on; [] when this is not one."""
    if msg.get_content_type() != "multipart/report" or msg.get_param("report-type") != "delivery-status":
        return []
    original = ""
    blocks: list[Message] = []
    for part in msg.iter_parts():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else []
        elif content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is not None:
                original = (message_ids(header(inner, "Message-ID")) or [""])[0]
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            inner = email.message_from_string(part_text(part), policy=email.policy.default)
            original = (message_ids(header(inner, "Message-ID")) or [""])[0]
    results = []
    for block in blocks[1:]:  # block 0 holds the per-message fields
        recipient = header(block, "Final-Recipient") or header(block, "Original-Recipient")
        results.append(
            DeliveryFailure(
                original_message_id=provider_id(original) if original else "",
                recipient=recipient.split(";", 1)[-1].strip(),
                action=header(block, "Action").lower(),
                status=header(block, "Status"),
                diagnostic=header(block, "Diagnostic-Code").split(";", 1)[-1].strip(),
            )
        )
    return results
