"""WhatsApp's rules on an outgoing message, checked before it is queued (through
`WhatsAppAdapter.validate_draft`, so the console, the API and bots all meet them): a refusal is a
PolicyViolation (422) with a reason, never a message that fails after queueing.

- templates: the payload names one of the WABA's synced templates (`template_id`, or `name` +
  `language`) with `parameters`; it must be APPROVED and the parameters must fit its placeholders
  exactly. The stored message is completed here: its text is the preview the customer will read,
  its payload Meta's `{"name", "language": {"code"}, "components"}` plus our template id and
  parameters. Meta's `components` are always built by us, never taken from the caller.
- everything else: the same body builder that sends the message (`outbound.message_body`) runs
  on the draft, so whatever it would refuse at send time (an empty text, a text over 4,096
  characters, a caption on audio, bad interactive buttons or lists, a file over 100 MB) is
  refused now.
"""

from dataclasses import replace

from django.utils.translation import gettext as _

from channels_app.adapters import OutboundAttachment, OutboundDraft, OutboundMessage
from channels_app.models import Channel
from channels_app.providers.whatsapp import outbound, selectors, templating
from core.exceptions import PolicyViolation


def template_draft(channel: Channel, draft: OutboundDraft) -> OutboundDraft:
    payload = draft.payload
    if draft.files:
        raise PolicyViolation(_("A template message cannot carry files: send them once the customer answers."))
    template = selectors.template_for_payload(channel=channel, payload=payload)
    if template is None:
        raise PolicyViolation(
            _(
                "This WhatsApp Business Account has no template “%(name)s”: check the name and language, "
                "or sync the templates."
            )
            % {"name": payload.get("name") or payload.get("template_id") or ""}
        )
    if not template.is_sendable:
        raise PolicyViolation(
            _("The template “%(name)s” is %(status)s at Meta: only approved templates can be sent.")
            % {"name": template.name, "status": template.status_label.lower()}
        )
    if "components" in payload and "parameters" not in payload:
        raise PolicyViolation(
            _("Give the template's parameters (header, body, buttons): its components are built from them.")
        )
    parameters = payload.get("parameters")
    try:
        components = templating.send_components(template.components, parameters)
        values = templating.normalise(parameters)
    except templating.TemplateProblem as exc:
        raise PolicyViolation(str(exc)) from exc
    return replace(
        draft,
        content=templating.preview(template.components, parameters),
        payload={
            "name": template.name,
            "language": {"code": template.language},
            "components": components,
            "template_id": str(template.uuid),
            "parameters": {part: given for part, given in values.items() if given},
        },
    )


def check_expressible(draft: OutboundDraft) -> None:
    """Run the send-time body builder on the draft (files stand in by name, type and size)."""
    attachments = tuple(
        OutboundAttachment(name=f.name, content_type=f.content_type, size=f.size, url="", read=bytes)
        for f in draft.files
    )
    message = OutboundMessage(
        uuid="",
        conversation_uuid="",
        idempotency_key="",
        recipient="",
        recipient_name="",
        content=draft.content,
        content_type=draft.content_type,
        payload=draft.payload,
        attachments=attachments,
    )
    try:
        if attachments:
            outbound.message_body(message, media={}, media_type=outbound.media_kind(attachments[0]))
        else:
            outbound.message_body(message)
    except outbound.Invalid as exc:
        raise PolicyViolation(str(exc)) from exc
