"""Building the mail for an agent's reply: a proper reply (In-Reply-To, References, `Re:`), a
Message-ID we choose and store, plain text with an HTML alternative, the mailbox signature and
the agent's name in the From display name.

Our Message-IDs look like `<msg_<message uuid hex>[_n].c<conversation uuid hex>@domain>`: stable
across retries of one send (so a receiver that saw a timed-out first attempt can drop the
duplicate), and carrying the conversation as a threading token for clients that lose
References.
"""

import re
import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from django.utils import timezone

from channels_app.adapters import OutboundMessage
from channels_app.providers.email.config import MailboxConfig

_TOKEN = re.compile(r"\.c([0-9a-f]{32})@", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(re|res|resp|aw|sv|antw)\s*:", re.IGNORECASE)
REFERENCES_KEPT = 20


def message_id(message: OutboundMessage, domain: str) -> str:
    """Without angle brackets, as stored in Message.provider_message_id."""
    conversation = uuid.UUID(message.conversation_uuid).hex
    return f"{message.idempotency_key}.c{conversation}@{domain}"


def conversation_token(msg_id: str) -> str:
    """The conversation UUID in one of our Message-IDs, or ""."""
    match = _TOKEN.search(msg_id or "")
    return str(uuid.UUID(match.group(1))) if match else ""


def reply_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        return ""
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def _html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _bracketed(ids) -> str:
    return " ".join(f"<{i}>" for i in ids)


def build(message: OutboundMessage, cfg: MailboxConfig, *, fallback_subject: str) -> tuple[EmailMessage, str]:
    """The mail to send and its Message-ID (without brackets)."""
    msg_id = message_id(message, cfg.domain)
    mail = EmailMessage()
    display = f"{message.sender_name} ({cfg.display_name})" if message.sender_name else cfg.display_name
    local, _, domain = cfg.address.partition("@")
    mail["From"] = Address(display_name=display, username=local, domain=domain)
    recipient_local, _, recipient_domain = message.recipient.partition("@")
    mail["To"] = Address(display_name=message.recipient_name, username=recipient_local, domain=recipient_domain)
    mail["Subject"] = reply_subject(message.subject) or fallback_subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = f"<{msg_id}>"
    refs = [r for r in message.thread_refs if r and not r.startswith("sha256:")]
    parent = message.reply_to_provider_id or (refs[-1] if refs else "")
    if parent:
        mail["In-Reply-To"] = f"<{parent}>"
        if parent not in refs:
            refs.append(parent)
    if refs:
        if len(refs) > REFERENCES_KEPT:
            refs = refs[:1] + refs[-(REFERENCES_KEPT - 1) :]  # keep the thread's root
        mail["References"] = _bracketed(refs)
    # If our own mail ever comes back to this mailbox (a forwarder, a list), we recognise it.
    mail["X-Loop"] = cfg.address
    if not message.sender_name:
        # Not written by a person: ask auto-responders (Exchange OOF included) to stay quiet.
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
    text = message.content.strip()
    if cfg.signature.strip():
        text = f"{text}\n\n-- \n{cfg.signature.strip()}"
    mail.set_content(text + "\n")
    mail.add_alternative(f"<!DOCTYPE html><html><body>{_html(text)}</body></html>", subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        mail.add_attachment(
            attachment.read(), maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.name
        )
    return mail, msg_id
