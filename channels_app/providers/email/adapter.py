"""The `email` channel: one mailbox, read over IMAP (or POP3), written to over SMTP.

Auth: a password for generic servers, or OAuth 2.0 with SASL XOAUTH2 for Google Workspace/Gmail
and Microsoft 365 (oauth.py; tokens refreshed by services.mailbox_access_token). Followed: RFC 3501
(IMAP), RFC 1939 (POP3), RFC 5321/5322 (SMTP, message format), RFC 2045-2047 and 2231 (MIME,
encoded words), RFC 3834 (auto-responses), RFC 3464/3463 (delivery reports, status codes),
and the Google/Microsoft XOAUTH2 pages.

There is no webhook: a poller (services.mailboxes_poll, and the optional `email_idle` process)
records each fetched mail as a raw InboundEvent, and `parse()` turns the raw MIME into our
items like any other provider's payload. Quirks worth knowing:
- Message-IDs are our provider ids (without angle brackets); a mail without one is identified
  by the hash of its bytes.
- Replies are threaded by In-Reply-To/References against ids we received and sent, with our
  conversation token in outbound Message-IDs as a fallback (compose.py).
- Machine mail (auto-replies, lists, bounces) is marked `automated`: kept and shown, never
  answered, never reopening a conversation. A delivery report about one of our mails marks
  that mail failed instead. Mail from the mailbox's own address (or carrying our X-Loop) is
  dropped, so we never talk to ourselves.
- SMTP gives no idempotency key; the Message-ID is stable across retries of one send so
  receivers can drop a duplicate after a timed-out attempt.
"""

import hashlib
import smtplib
import ssl
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_app.adapters import (
    ChannelAdapter,
    ChannelError,
    CheckResult,
    InboundMessage,
    OutboundMessage,
    RemoteAttachment,
    Sender,
    SendResult,
    SignatureInvalid,
    StatusUpdate,
)
from channels_app.providers.email import compose, config, connect, htmltext, mime, oauth, quotes
from core import http


class EmailChannelAdapter(ChannelAdapter):
    kind = "email"
    label = gettext_lazy("E-mail")
    medium = "email"
    identity_medium = "email"
    sendable_content_types = frozenset({"text", "email", "image", "audio", "video", "file"})
    max_attachment_bytes = 25 * 1024 * 1024
    setup_form = "channels_app.providers.email.forms.EmailChannelForm"
    instructions_template = "email_channel/instructions.html"
    threaded = True

    @property
    def config(self) -> config.MailboxConfig:
        return config.of(self.channel)

    # --- inbound -----------------------------------------------------------------------------
    def verify(self, request) -> None:
        raise SignatureInvalid("mail arrives by polling, never by webhook")

    def dedupe_key(self, body: bytes, headers: dict) -> str:
        """The Message-ID, so a re-fetch (after an interrupted poll or a UIDVALIDITY change)
        collapses onto the mail we already have; the content hash when there is none."""
        head = BytesHeaderParser(policy=default_policy).parsebytes(body)
        ids = mime.message_ids(mime.header(head, "Message-ID"))
        if ids:
            return "mid:" + mime.provider_id(ids[0])[:190]
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def parse(self, body: bytes, headers: dict):
        msg = mime.parse(body)
        cfg = self.config
        sender = mime.first_address(msg, "From") or mime.first_address(msg, "Sender")
        own = cfg.address.lower()
        if sender and sender.address.lower() == own or mime.header(msg, "X-Loop").lower() == own:
            return []  # our own mail coming back: never process it, never answer it
        msg_id = mime.own_message_id(msg, body)
        report = mime.delivery_report(msg)
        failed = [r for r in report if r.action == "failed" and r.original_message_id]
        if failed and all(compose.conversation_token(r.original_message_id) for r in failed):
            return [self._bounce(r, msg) for r in failed]
        return [self._message(msg, msg_id, sender, report)] if sender else []

    def _bounce(self, failure: mime.DeliveryFailure, msg) -> StatusUpdate:
        reason = _("The mail to %(recipient)s bounced (%(status)s): %(diagnostic)s") % {
            "recipient": failure.recipient or _("the recipient"),
            "status": failure.status or "5.0.0",
            "diagnostic": failure.diagnostic or explain_status(failure.status),
        }
        return StatusUpdate(
            state="failed",
            provider_message_id=failure.original_message_id,
            error=reason[:1000],
            error_code=failure.status[:64],
            timestamp=mime.date(msg),
        )

    def _message(self, msg, msg_id: str, sender: mime.Address, report: list) -> InboundMessage:
        body = mime.body_of(msg)
        html = htmltext.sanitize(body.html) if body.html else ""
        full_text = body.text.strip() if body.text.strip() else htmltext.to_text(body.html)
        shown, stripped = quotes.strip_quoted(full_text)
        refs = []
        for value in (mime.header(msg, "References"), mime.header(msg, "In-Reply-To")):
            for ref in mime.message_ids(value):
                ref = mime.provider_id(ref)
                if ref not in refs and ref != msg_id:
                    refs.append(ref)
        if report:
            refs += [r.original_message_id for r in report if r.original_message_id not in refs + [""]]
        automated = mime.automated_reason(msg)
        subject = mime.header(msg, "Subject")
        inline = {cid: name for name, _type, _data, cid in body.attachments if cid}
        payload = {
            "subject": subject,
            "message_id": msg_id,
            "from": {"name": sender.name, "address": sender.address},
            "to": [a.address for a in mime.addresses(msg, "To")],
            "cc": [a.address for a in mime.addresses(msg, "Cc")],
            "references": refs,
            "text": full_text,
            "html": html,
            "quote_stripped": stripped,
        }
        if inline:
            payload["inline_images"] = inline
        if automated:
            payload["automated"] = automated
        if report:
            payload["delivery_report"] = [
                {"recipient": r.recipient, "action": r.action, "status": r.status, "diagnostic": r.diagnostic}
                for r in report
            ]
        hint = next((token for ref in refs if (token := compose.conversation_token(ref))), "")
        return InboundMessage(
            provider_message_id=msg_id,
            sender=Sender(medium="email", address=sender.address, name=sender.name, email=sender.address),
            content=shown or subject,
            content_type="email",
            payload=payload,
            timestamp=mime.date(msg),
            attachments=tuple(
                RemoteAttachment(name=name, content_type=content_type, data=data)
                for name, content_type, data, _cid in body.attachments
                if data
            ),
            subject=subject,
            thread_refs=tuple(refs),
            conversation_hint=hint,
            automated=bool(automated),
        )

    # --- outbound ----------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        from channels_app.providers.email import services

        cfg = self.config
        if not message.recipient:
            raise ChannelError(_("This contact has no e-mail address."), permanent=True)
        try:
            mail, msg_id = compose.build(
                message, cfg, fallback_subject=_("Message from %(name)s") % {"name": cfg.display_name}
            )
        except (ValueError, TypeError) as exc:
            raise ChannelError(_("The mail could not be built: %(error)s") % {"error": exc}, permanent=True) from exc
        target = f"smtp://{cfg.smtp.label}"
        try:
            with http.record_call(
                provider="email",
                operation="smtp_send",
                target=target,
                channel_id=self.channel.pk,
                reference=message.uuid,
            ) as call:
                client = connect.smtp_open(
                    cfg, password=services.smtp_password(self.channel), token=services.token_source(self.channel)
                )
                try:
                    client.send_message(mail, from_addr=cfg.address, to_addrs=[message.recipient])
                    call["status_code"] = 250
                finally:
                    try:
                        client.quit()
                    except (smtplib.SMTPException, OSError):
                        client.close()
        except connect.MailboxError as exc:
            raise ChannelError(exc.message, reconnect=exc.reconnect) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise smtp_error(code, reply) from exc
        except smtplib.SMTPResponseException as exc:
            raise smtp_error(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPException as exc:
            raise ChannelError(_("The mail server broke off the conversation: %(error)s") % {"error": exc}) from exc
        except oauth.OAuthError as exc:
            raise ChannelError(exc.message, reconnect=exc.reconnect, permanent=not exc.transient) from exc
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            raise ChannelError(connect.describe(exc, cfg.smtp).message) from exc
        return SendResult(provider_message_id=msg_id)

    def check(self) -> CheckResult:
        from channels_app.providers.email import services

        try:
            services.mailbox_check(channel=self.channel)
        except connect.MailboxError as exc:
            if exc.reconnect:
                raise ChannelError(exc.message, reconnect=True) from exc
            return CheckResult(ok=False, detail=exc.message)
        return CheckResult(ok=True, detail=_("Signed in to the mailbox and to the SMTP server."))


# RFC 3463 enhanced status codes, in words an agent can act on.
STATUS_WORDS = {
    "5.1.1": gettext_lazy("The address does not exist."),
    "5.1.2": gettext_lazy("The recipient's domain does not exist or accepts no mail."),
    "5.1.10": gettext_lazy("The recipient's domain accepts no mail."),
    "5.2.1": gettext_lazy("The recipient's mailbox is disabled."),
    "5.2.2": gettext_lazy("The recipient's mailbox is full."),
    "4.2.2": gettext_lazy("The recipient's mailbox is full for now."),
    "5.3.4": gettext_lazy("The message is too large for the recipient's server."),
    "5.2.3": gettext_lazy("The message is too large for the recipient's server."),
    "5.7.1": gettext_lazy("The recipient's server refused the message by policy (spam filter or block list)."),
    "5.7.26": gettext_lazy("The recipient's server refused it: our domain's SPF/DKIM/DMARC did not check out."),
    "4.7.0": gettext_lazy("The recipient's server asked us to try again later."),
}


def explain_status(status: str) -> str:
    return str(STATUS_WORDS.get(status.strip(), ""))


def smtp_error(code: int, reply) -> ChannelError:
    """4xx: transient, retried. 5xx: permanent, shown on the message."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.split())[:300]
    enhanced = text.split(" ", 1)[0] if text[:1] in "245" and text[1:2] == "." else ""
    words = explain_status(enhanced)
    if 400 <= code < 500:
        return ChannelError(
            _("The mail server could not take the message now (%(code)s %(reply)s).") % {"code": code, "reply": text},
            code=str(code),
        )
    if code in (530, 534, 535):
        return ChannelError(
            _("The mail server refused our sign-in (%(code)s %(reply)s).") % {"code": code, "reply": text},
            reconnect=True,
            code=str(code),
        )
    return ChannelError(
        (f"{words} " if words else "")
        + _("The mail server refused the message (%(code)s %(reply)s).") % {"code": code, "reply": text},
        permanent=True,
        code=str(code),
    )
