"""`make run`'s WhatsApp demo: a sandbox number (never a real phone) with the sandbox's demo
templates and one customer conversation, so the whole flow can be tried at once: answer in the
inbox, play the customer in the simulator (console or `manage.py simulate whatsapp`)."""

from django.db import transaction

from accounts import services as account_services
from accounts.models import Team, User
from channels_app import services as channel_services
from channels_app.adapters import InboundMessage, Sender
from channels_app.models import Channel
from channels_app.providers.whatsapp import sandbox, services
from channels_app.providers.whatsapp.forms import WhatsAppChannelForm
from conversations import services as conversation_services

DEMO_NAME = "Loja Demo WhatsApp (sandbox)"


@transaction.atomic
def demo_load() -> Channel | None:
    """Create the demo sandbox channel unless it exists. Returns it when created."""
    if Channel.objects.filter(kind="whatsapp", name=DEMO_NAME).exists():
        return None
    form = WhatsAppChannelForm(data={"name": DEMO_NAME, "sandbox": "on", "display_phone_number": "+1 555 010 0001"})
    if not form.is_valid():  # pragma: no cover - the demo's own data
        raise RuntimeError(form.errors.as_text())
    channel = channel_services.channel_create(
        kind="whatsapp", name=DEMO_NAME, settings=form.settings_data(), credentials=form.credentials_data()
    )
    channel.assignment_team = Team.objects.filter(name="Suporte").first()
    channel.save(update_fields=["assignment_team"])
    agents = list(User.objects.filter(is_active=True).exclude(role=User.Role.ADMIN))
    account_services.inbox_members_set(channel=channel, users=agents + list(User.objects.filter(role=User.Role.ADMIN)))
    services.templates_store(
        waba_id=channel.settings["waba_id"], listed=sandbox.demo_templates(channel.settings["waba_id"])
    )
    conversation_services.message_receive(
        channel=channel,
        item=InboundMessage(
            provider_message_id="wamid.demo-first-message",
            sender=Sender(medium="whatsapp", address="551187650001", name="Beatriz Nogueira"),
            content="Oi! Vocês entregam hoje em Campinas?",
        ),
    )
    return channel
