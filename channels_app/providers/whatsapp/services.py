"""Writes for the WhatsApp app: Meta apps, template sync, template messages, conversations an
agent starts with a template, and the simulator's customer messages."""

import hashlib
import logging

from django.db import transaction
from django.db.models import Max
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
from contacts.services import contact_resolve, identity_attach
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from core import events, signing
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


def _template_draft(*, channel: Channel, template: MessageTemplate, parameters: dict | None):
    if str(channel.settings.get("waba_id") or "") != template.waba_id:
        raise PolicyViolation(_("This template belongs to another WhatsApp Business Account."))
    if not template.is_sendable:
        raise PolicyViolation(
            _("The template “%(name)s” is %(status)s at Meta: only approved templates can be sent.")
            % {"name": template.name, "status": template.status_label.lower()}
        )
    try:
        components = templating.send_components(template.components, parameters)
    except templating.TemplateProblem as exc:
        raise PolicyViolation(str(exc)) from exc
    values = templating.normalise(parameters)
    payload = {
        "name": template.name,
        "language": {"code": template.language},
        "components": components,
        "template_id": str(template.uuid),
        "parameters": {k: v for k, v in values.items() if v},
    }
    return conversation_services.Draft(
        content=templating.preview(template.components, parameters),
        content_type=Message.ContentType.TEMPLATE,
        payload=payload,
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
    draft = _template_draft(channel=conversation.channel, template=template, parameters=parameters)
    return conversation_services.message_send(conversation=conversation, draft=draft, sender=sender)


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
    """An agent (or an API client) starts a WhatsApp conversation with a contact, or with a phone
    number not yet a contact, by sending an approved template.

    The contact gets a WhatsApp identity when it has none (its phone number, or `phone`); an open
    conversation with them on this channel is reused, otherwise a new one is opened, assigned to
    the agent who starts it. Publishes `contact.created` (new numbers), `conversation.created`,
    `conversation.assigned` and `message.created`. Raises PolicyViolation (or Conflict when the
    number belongs to another contact) before anything is written."""
    if channel.kind != "whatsapp":
        raise PolicyViolation(_("Conversations can only be started with a template on WhatsApp channels."))
    draft = _template_draft(channel=channel, template=template, parameters=parameters)
    try:
        # A number typed by an agent is normalised first: only Meta's own spelling of a wa_id is
        # kept as the identity's provider address.
        if contact is None:
            if not phone.strip():
                raise PolicyViolation(_("Choose a contact or type a phone number."))
            contact = contact_resolve(medium="whatsapp", address=identities.normalize_phone(phone)).contact
        elif not contact.identities.filter(medium="whatsapp").exists():
            number = phone.strip() or contact.phone
            if not number:
                raise PolicyViolation(_("This contact has no phone number: type the WhatsApp number to use."))
            identity_attach(contact=contact, medium="whatsapp", address=identities.normalize_phone(number))
    except identities.InvalidAddress as exc:
        raise PolicyViolation(
            _("This is not a valid phone number: %(number)s") % {"number": phone or contact.phone}
        ) from exc
    conversation = _open_conversation(channel=channel, contact=contact, by=sender)
    return conversation_services.message_send(conversation=conversation, draft=draft, sender=sender)


def _open_conversation(*, channel: Channel, contact: Contact, by: User | None) -> Conversation:
    Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk", flat=True).first()
    current = (
        Conversation.objects.filter(channel=channel, contact=contact)
        .exclude(status=Conversation.Status.RESOLVED)
        .order_by("-last_activity_at")
        .first()
    )
    if current is not None:
        return current
    # The 24-hour window is the customer's, not the conversation's: carry it over from their
    # earlier conversations on this number.
    last_inbound = Conversation.objects.filter(channel=channel, contact=contact).aggregate(at=Max("last_inbound_at"))[
        "at"
    ]
    conversation = Conversation.objects.create(
        channel=channel, contact=contact, team=channel.assignment_team, last_inbound_at=last_inbound
    )
    events.publish(
        events.CONVERSATION_CREATED,
        conversation_id=str(conversation.uuid),
        conversation_pk=conversation.pk,
        channel_id=str(channel.uuid),
        channel_pk=channel.pk,
        contact_id=str(contact.uuid),
    )
    if by is not None:
        conversation_services.conversation_assign(conversation=conversation, assignee=by, by=by)
    return conversation


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
        raise PolicyViolation(_("This is not a valid phone number: %(number)s") % {"number": phone}) from exc
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
