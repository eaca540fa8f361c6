"""Reads for the WhatsApp app. Who may see a channel is decided by conversations.selectors; these
functions take a channel the caller already may see."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from channels_app.models import Channel
from channels_app.providers.whatsapp.models import MessageTemplate, MetaApp


def meta_app_get_for_webhook(*, uuid) -> MetaApp | None:
    return MetaApp.objects.filter(uuid=uuid, is_active=True).first()


def meta_apps() -> QuerySet[MetaApp]:
    return MetaApp.objects.order_by("name")


def meta_app_of_channel(channel: Channel) -> MetaApp | None:
    app_uuid = channel.settings.get("meta_app")
    if not app_uuid:
        return None
    return MetaApp.objects.filter(uuid=app_uuid, is_active=True).first()


def channels_of_meta_app(app: MetaApp) -> QuerySet[Channel]:
    return Channel.objects.filter(kind="whatsapp", settings__meta_app=str(app.uuid))


def templates_for_channel(channel: Channel, *, sendable_only: bool = False) -> QuerySet[MessageTemplate]:
    """The templates of the channel's WhatsApp Business Account: approved first, then the ones
    shown as unavailable (paused, rejected...), each group by name."""
    qs = MessageTemplate.objects.filter(waba_id=str(channel.settings.get("waba_id") or "")).exclude(
        status=MessageTemplate.Status.DELETED
    )
    if sendable_only:
        qs = qs.filter(status=MessageTemplate.Status.APPROVED)
    approved_first = Case(
        When(status=MessageTemplate.Status.APPROVED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.order_by(approved_first, "name", "language")


def template_get_for_channel(*, channel: Channel, uuid) -> MessageTemplate | None:
    return templates_for_channel(channel).filter(uuid=uuid).first()


def customer_transcript(*, channel: Channel, phone: str) -> list:
    """The latest conversation of the customer with this number on this channel, as their phone
    shows it (the simulator): no private notes, no activity lines."""
    from contacts import identities
    from conversations.models import Message

    normalized = identities.normalize_phone(phone)
    latest = (
        Message.objects.filter(
            channel=channel,
            conversation__contact__identities__medium="whatsapp",
            conversation__contact__identities__address=normalized,
        )
        .order_by("-created_at")
        .values_list("conversation_id", flat=True)
        .first()
    )
    if latest is None:
        return []
    return list(
        Message.objects.filter(conversation_id=latest, private=False)
        .exclude(status=Message.Status.LOGGED)
        .order_by("created_at", "id")
    )


def last_business_wamid(*, channel: Channel, phone: str) -> str:
    """The wamid of the business's last message to this customer (what a reaction or a button
    tap on the phone refers to)."""
    for message in reversed(customer_transcript(channel=channel, phone=phone)):
        if message.direction == "out" and message.provider_message_id:
            return message.provider_message_id
    return ""
