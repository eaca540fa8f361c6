"""`make run`'s web chat demo: a widget channel with a bot, and a demo shop page served by the
helpdesk with the widget installed (/widget/demo/), so a new user can chat as a visitor in one
window and answer as an agent in another."""

import json

from django.db import transaction

from accounts import services as account_services
from accounts.models import Team, User
from channels_app import services as channel_services
from channels_app.models import Channel
from channels_app.providers.web_widget.forms import WebWidgetForm

DEMO_NAME = "Café & Cia (chat do site)"
FLOW = {
    "start": {
        "text": "Olá! Sou o assistente da Café & Cia. Sobre o que você quer falar?",
        "buttons": [
            {"label": "Meu pedido", "goto": "orders"},
            {"label": "Frete e entrega", "goto": "shipping"},
            {"label": "Falar com uma pessoa", "handoff": True},
        ],
    },
    "orders": {
        "text": "Você acompanha seu pedido em cafeecia.example/pedidos com o número que enviamos por e-mail.",
        "buttons": [{"label": "Voltar", "goto": "start"}, {"label": "Falar com uma pessoa", "handoff": True}],
    },
    "shipping": {
        "text": "Entregamos em todo o Brasil em até 5 dias úteis. Frete grátis acima de R$ 150.",
        "buttons": [{"label": "Voltar", "goto": "start"}, {"label": "Falar com uma pessoa", "handoff": True}],
    },
}
FAQ = (
    "pix, pagamento, cartao, boleto => Aceitamos Pix, cartão de crédito em até 3x sem juros e boleto.\n"
    "horario, funcionamento, atendimento => Atendemos de segunda a sexta, das 9h às 18h."
)


@transaction.atomic
def demo_load() -> Channel | None:
    """Create the demo widget channel unless it exists. Returns it when created."""
    if Channel.objects.filter(kind="web_widget", name=DEMO_NAME).exists():
        return None
    form = WebWidgetForm(
        data={
            "name": DEMO_NAME,
            "allowed_domains": "localhost, 127.0.0.1",
            "title": "Café & Cia",
            "color": "#8a4b14",
            "position": "right",
            "launcher_text": "Fale conosco",
            "greeting": "Olá! 👋 Tire suas dúvidas sobre pedidos, entregas e pagamentos.",
            "language": "auto",
            "prechat_enabled": "on",
            "prechat_name": "required",
            "prechat_email": "optional",
            "prechat_phone": "off",
            "time_zone": "America/Sao_Paulo",
            "capture_email": "on",
            "bot_enabled": "on",
            "bot_flow": json.dumps(FLOW, ensure_ascii=False),
            "bot_faq": FAQ,
            "handoff_keywords": "humano, atendente, pessoa, human, agent",
            "uploads": "documents",
            "max_upload_mb": "10",
        }
    )
    if not form.is_valid():  # pragma: no cover - the demo's own data
        raise RuntimeError(form.errors.as_text())
    channel = channel_services.channel_create(
        kind="web_widget", name=DEMO_NAME, settings=form.settings_data(), credentials=form.credentials_data()
    )
    channel.assignment_team = Team.objects.filter(name="Suporte").first()
    channel.save(update_fields=["assignment_team"])
    account_services.inbox_members_set(channel=channel, users=list(User.objects.filter(is_active=True)))
    return channel
