"""Writes for the WhatsApp app: Meta apps, template sync, template messages, conversations an
agent starts with a template, and the simulator's customer messages."""

import hashlib
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from channels_app import registry
from channels_app.adapters import ChannelError
from channels_app.models import Channel
from channels_app.providers.whatsapp import templating
from channels_app.providers.whatsapp.models import MessageTemplate, MetaApp
from channels_app.providers.whatsapp.parsing import TemplateStatusChange
from contacts import identities
from contacts.models import Contact
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from core import signing
from core.exceptions import PolicyViolation

logger = logging.getLogger(__name__)


# --- Meta apps ----------------------------------------------------------------------------------
@transaction.atomic
def meta_app_create(*, name: str, app_id: str = "", app_secret: str, verify_token: str = "") -> MetaApp:
    """Record a Meta app whose one webhook URL serves several numbers. A verify token is
    generated when none is given."""
    return MetaApp.objects.create(
        name=name,
        app_id=app_id,
        credentials={"app_secret": app_secret, "verify_token": verify_token or generate_verify_token()},
    )


@transaction.atomic
def meta_app_update(*, app: MetaApp, name: str, app_id: str, credentials: dict) -> MetaApp:
    app.name, app.app_id, app.credentials = name, app_id, credentials
    app.save()
    return app


def generate_verify_token() -> str:
    # Pasted by hand into Meta's dashboard: URL-safe and without a prefix to confuse.
    return signing.generate_secret().removeprefix(signing.SECRET_PREFIX).rstrip("=").replace("+", "-").replace("/", "_")


# --- templates ----------------------------------------------------------------------------------
def template_sync(*, channel: Channel) -> int:
    """Fetch every template of the channel's WhatsApp Business Account from Meta and store them
    (name, language, category, status, components). Templates Meta no longer lists are marked
    DELETED. Returns how many Meta listed. Raises ChannelError when Meta cannot be reached or
    refuses (the caller decides whether to flag the channel)."""
    waba_id = str(channel.settings.get("waba_id") or "")
    if not waba_id:
        raise PolicyViolation(_("This channel has no WhatsApp Business Account id."))
    return templates_store(waba_id=waba_id, listed=registry.adapter_for(channel).list_templates())


@transaction.atomic
def templates_store(*, waba_id: str, listed: list[dict]) -> int:
    """Store a WABA's template listing (Meta's shape) as our copy, in one transaction; see
    template_sync."""
    now = timezone.now()
    seen = []
    for item in listed:
        name, language = str(item.get("name") or ""), str(item.get("language") or "")
        if not name or not language:
            continue
        components = item.get("components") if isinstance(item.get("components"), list) else []
        template, _created = MessageTemplate.objects.update_or_create(
            waba_id=waba_id,
            name=name[:512],
            language=language[:16],
            defaults={
                "meta_id": str(item.get("id") or "")[:64],
                "category": str(item.get("category") or "")[:32],
                "status": str(item.get("status") or "")[:20],
                "components": components,
                "parameter_format": "NAMED" if templating.is_named(components) else "POSITIONAL",
                "rejected_reason": _reason(item.get("rejected_reason")),
                "synced_at": now,
            },
        )
        seen.append(template.pk)
    MessageTemplate.objects.filter(waba_id=waba_id).exclude(pk__in=seen).exclude(
        status=MessageTemplate.Status.DELETED
    ).update(status=MessageTemplate.Status.DELETED, synced_at=now)
    return len(seen)


def _reason(value) -> str:
    text = str(value or "")
    return "" if text.upper() == "NONE" else text[:255]


def templates_sync_all() -> int:
    """Scheduled: sync the templates of every WhatsApp Business Account we have a channel for.
    A channel whose token Meta refuses is flagged "reconnect needed". Returns accounts synced."""
    from channels_app.services import channel_set_status

    synced, done = 0, set()
    for channel in Channel.objects.filter(kind="whatsapp", is_active=True).order_by("id"):
        waba_id = channel.settings.get("waba_id")
        if not waba_id or waba_id in done:
            continue
        try:
            template_sync(channel=channel)
        except ChannelError as exc:
            logger.warning("template sync of WABA %s via channel %s failed: %s", waba_id, channel.pk, exc.message)
            if exc.reconnect:
                channel_set_status(channel=channel, status=Channel.Status.NEEDS_RECONNECT, error=exc.message)
            continue
        done.add(waba_id)
        synced += 1
    return synced


@transaction.atomic
def template_status_apply(*, change: TemplateStatusChange) -> bool:
    """Meta told us a template was approved, rejected, paused...: update our copy at once rather
    than at the next sync. Returns whether a stored template changed."""
    templates = MessageTemplate.objects.filter(waba_id=change.waba_id)
    if change.meta_id:
        templates = templates.filter(meta_id=change.meta_id)
    else:
        templates = templates.filter(name=change.name, language=change.language)
    fields = {"status": change.event[:20]}
    if change.event == MessageTemplate.Status.REJECTED:
        fields["rejected_reason"] = change.reason[:255]
    return bool(templates.update(**fields))


def template_draft(*, template: MessageTemplate, parameters: dict | None) -> conversation_services.Draft:
    """A message sending `template` with `parameters`. Approval and parameters are checked, and
    its text and Meta's components filled in, by the shared send path (drafts.py through the
    adapter's validate_draft), so this draft is checked like one an API client builds."""
    return conversation_services.Draft(
        content_type=Message.ContentType.TEMPLATE,
        payload={"template_id": str(template.uuid), "parameters": parameters or {}},
    )


@transaction.atomic
def template_message_send(
    *, conversation: Conversation, template: MessageTemplate, parameters: dict | None, sender: User | None
) -> Message:
    """Queue an approved template, with its parameters filled in, in a WhatsApp conversation (the
    way to write outside the 24-hour window). The message's text is the preview the customer will
    read; its payload carries Meta's name/language/components. Raises PolicyViolation."""
    if conversation.channel.kind != "whatsapp":
        raise PolicyViolation(_("Templates can only be sent on WhatsApp channels."))
    return conversation_services.message_send(
        conversation=conversation, draft=template_draft(template=template, parameters=parameters), sender=sender
    )


@transaction.atomic
def conversation_start(
    *,
    channel: Channel,
    template: MessageTemplate,
    parameters: dict | None,
    sender: User | None,
    contact: Contact | None = None,
    phone: str = "",
) -> Message:
    """An agent starts a WhatsApp conversation with a contact, or with a phone number not yet a
    contact, by sending an approved template: `conversations.services.conversation_start` (the
    one way to reach out, which the API uses too) with a template draft. A new conversation is
    assigned to the agent who starts it; the contact's open one is reused as it is. Raises
    PolicyViolation (or Conflict when the number belongs to another contact), nothing written."""
    if channel.kind != "whatsapp":
        raise PolicyViolation(_("Conversations can only be started with a template on WhatsApp channels."))
    started = conversation_services.conversation_start(
        channel=channel,
        contact=contact,
        address=phone,
        by=sender,
        assignee=sender,
        draft=template_draft(template=template, parameters=parameters),
    )
    return started.message


# --- the simulator (the customer's phone, for sandbox channels) ---------------------------------
SIMULATED_KINDS = ("text", "image", "document", "audio", "location", "button_reply", "list_reply", "reaction")


def simulated_message_post(
    *, channel: Channel, phone: str, name: str, kind: str, text: str = "", upload=None, latitude=None, longitude=None
) -> str:
    """Queue a customer's message to a sandbox channel, built exactly like Meta's webhook and
    posted signed to the channel's webhook URL by a task (the real inbound path). Files go to the
    sandbox's media store first. Returns the message's wamid. Raises PolicyViolation."""
    from channels_app.providers.whatsapp import sandbox, simulator
    from channels_app.providers.whatsapp.selectors import last_business_wamid
    from core import tasks

    if not channel.settings.get("sandbox"):
        raise PolicyViolation(_("The simulator only plays customers of sandbox channels."))
    try:
        identities.normalize_phone(phone)
    except identities.InvalidAddress as exc:
        message = _("This is not a valid phone number: %(number)s") % {"number": phone}
        raise PolicyViolation(message, extra={"fields": {"from": [message]}}) from exc
    if kind not in SIMULATED_KINDS:
        raise PolicyViolation(_("Unknown kind of message."))
    business = simulator.Business(
        str(channel.settings.get("phone_number_id")),
        str(channel.settings.get("display_phone_number")),
        str(channel.settings.get("waba_id")),
    )
    target = last_business_wamid(channel=channel, phone=phone)
    reply_to = ""
    if kind == "text":
        if not text.strip():
            raise PolicyViolation(_("Write a message."))
        message = simulator.text(text)
    elif kind in ("image", "document", "audio"):
        if upload is None:
            raise PolicyViolation(_("Choose a file."))
        data = upload.read()
        mime = (upload.content_type or "application/octet-stream").split(";")[0]
        media_id = sandbox.StorageMediaStore().put(data, mime, business.phone_number_id)
        message = simulator.media(
            kind,
            media_id=media_id,
            mime_type=mime,
            sha256=hashlib.sha256(data).hexdigest(),
            caption=text,
            filename=upload.name,
        )
    elif kind == "location":
        try:
            message = simulator.location(float(latitude), float(longitude), name=text)
        except (TypeError, ValueError) as exc:
            raise PolicyViolation(_("Give a latitude and a longitude, e.g. -23.5614 and -46.6559.")) from exc
    elif kind in ("button_reply", "list_reply"):
        reply_id, _sep, title = text.partition(":")
        if not title:
            raise PolicyViolation(_("Give the option as id:title, e.g. yes:Sim."))
        message = (
            simulator.button_reply(reply_id, title) if kind == "button_reply" else simulator.list_reply(reply_id, title)
        )
        reply_to = target
    else:
        if not target:
            raise PolicyViolation(_("Nothing to react to yet: the business has not written."))
        message = simulator.reaction(target, text.strip())
    payload = simulator.message_webhook(business, sender=phone, name=name or phone, message=message, reply_to=reply_to)
    tasks.run("channels_app.providers.whatsapp.tasks.simulator_post", channel.pk, simulator.encode(payload).decode())
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
