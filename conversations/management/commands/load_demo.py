"""Demo data for `make run`: agents, a team, an `api` channel in sandbox mode, contacts and
conversations in several states. Idempotent: run it as often as you like."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Team, User
from channels_app.adapters import InboundMessage, Sender
from channels_app.models import Channel
from conversations import services
from conversations.models import Conversation, Message
from core import signing

DEMO_CHANNEL = "Loja Demo (API)"
AGENTS = [
    ("ana", "Ana", "Souza", "ana@example.com", User.Availability.ONLINE),
    ("bruno", "Bruno", "Lima", "bruno@example.com", User.Availability.ONLINE),
    ("carla", "Carla", "Mendes", "carla@example.com", User.Availability.BUSY),
]
CONVERSATIONS = [
    # (sender id, name, phone, messages from the customer, agent reply, final status)
    (
        "c-101",
        "Maria Oliveira",
        "+55 11 98765-4321",
        ["Oi! Meu pedido #4521 ainda não chegou."],
        "Olá Maria! Vou verificar agora mesmo.",
        "open",
    ),
    ("c-102", "João Pereira", "+55 21 99876-1234", ["Bom dia", "Vocês entregam em Niterói?"], None, "open"),
    (
        "c-103",
        "Fernanda Costa",
        "+55 31 98888-7777",
        ["Quero trocar o tamanho da camiseta."],
        "Claro! Qual tamanho você prefere?",
        "pending",
    ),
    (
        "c-104",
        "Lucas Almeida",
        "+55 41 97777-6666",
        ["Obrigado pela ajuda!"],
        "Por nada, Lucas. Até a próxima!",
        "resolved",
    ),
    (
        "c-105",
        "Patrícia Rocha",
        "+55 51 96666-5555",
        ["Posso pagar com Pix?"],
        "Pode sim! O Pix aparece na finalização.",
        "snoozed",
    ),
    ("c-106", "Rafael Santos", "+55 61 95555-4444", ["Hi, do you ship to Portugal?"], None, "open"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent)."

    def handle(self, *args, **options):
        from channels_app.providers.whatsapp.demo import demo_load

        if Channel.objects.filter(name=DEMO_CHANNEL).exists():
            self.stdout.write("demo data already loaded")
        else:
            with transaction.atomic():
                self._load()
            self.stdout.write("demo data loaded")
        if demo_load():
            self.stdout.write("WhatsApp sandbox demo loaded")
        from channels_app.providers.web_widget.demo import demo_load as widget_demo_load

        if widget_demo_load():
            self.stdout.write("Web chat demo loaded: open /widget/demo/ while signed in")

    def _load(self):
        agents = []
        for username, first, last, email, availability in AGENTS:
            user = User.objects.filter(username=username).first() or account_services.user_create(
                username=username,
                email=email,
                password="demo-pass-123",
                first_name=first,
                last_name=last,
                availability=availability,
                max_open_conversations=10,
            )
            agents.append(user)
        team = Team.objects.filter(name="Suporte").first() or account_services.team_create(
            name="Suporte", members=agents[:2], description="Atendimento ao cliente"
        )
        channel = Channel.objects.create(
            kind="api",
            name=DEMO_CHANNEL,
            credentials={"secret": signing.generate_secret()},
            settings={"sandbox": True},
            assignment_team=team,
        )
        account_services.inbox_members_set(channel=channel, users=agents)
        admin = User.objects.filter(role=User.Role.ADMIN).first()
        now = timezone.now()
        for index, (sender_id, name, phone, texts, reply, status) in enumerate(CONVERSATIONS):
            for number, text in enumerate(texts):
                message = services.message_receive(
                    channel=channel,
                    item=InboundMessage(
                        provider_message_id=f"demo-{sender_id}-{number}",
                        sender=Sender(medium="api", address=f"{channel.uuid}:{sender_id}", name=name, phone=phone),
                        content=text,
                    ),
                )
            conversation = message.conversation
            if reply:
                agent = conversation.assignee or agents[0]
                sent = services.message_send(
                    conversation=conversation, draft=services.Draft(content=reply), sender=agent
                )
                Message.objects.filter(pk=sent.pk).update(
                    status=Message.Status.READ, sent_at=now, delivered_at=now, read_at=now, next_attempt_at=None
                )
                Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
            if status != Conversation.Status.OPEN:
                conversation.refresh_from_db()
                services.conversation_set_status(
                    conversation=conversation,
                    status=status,
                    by=admin,
                    snoozed_until=now + timedelta(hours=3) if status == "snoozed" else None,
                )
            # Spread the story over the last hours, so the inbox looks like a real morning.
            started = now - timedelta(minutes=9 * index + 4 * len(texts) + 6)
            for offset, message in enumerate(conversation.messages.order_by("created_at", "id")):
                Message.objects.filter(pk=message.pk).update(created_at=started + timedelta(minutes=2 * offset))
            last = conversation.messages.order_by("-created_at").values_list("created_at", flat=True).first()
            waiting = None if reply else started
            Conversation.objects.filter(pk=conversation.pk).update(
                last_activity_at=last, created_at=started, waiting_since=waiting
            )
        services.message_send(
            conversation=Conversation.objects.get(contact__name="João Pereira"),
            draft=services.Draft(content="Cliente recorrente, prioridade na entrega.", private=True),
            sender=agents[1],
        )
