"""The widget's bot: keyword answers, button flows, hand-off to the assignment rules and silence
afterwards, the away reply with e-mail capture outside office hours. Its messages go through the
outbound pipeline and are marked as the bot's."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from channels_app.providers.web_widget import bot, office_hours
from channels_app.providers.web_widget.models import BotState
from conversations.models import Conversation, Message

from .conftest import FLOW, Visitor, drain, make_widget

FAQ = "preço, valor, quanto custa => Os planos começam em R$ 49 por mês.\nhorário => Atendemos das 9h às 18h."


def _bot_widget(**extra):
    return make_widget(bot_enabled="on", bot_flow=json.dumps(FLOW), bot_faq=FAQ, **extra)


def _said(conversation) -> list[tuple[str, str]]:
    return list(
        conversation.messages.exclude(content_type="activity")
        .order_by("created_at", "id")
        .values_list("sender_type", "content")
    )


def _click(visitor, label):
    """Press a button of the newest bot message, as the widget does."""
    newest = [m for m in visitor.history().json()["messages"] if m["from"] == "bot"][-1]
    button = next(b for b in newest["buttons"] if b["label"] == label)
    return visitor.send(label, button={"node": newest["node"], "index": button["index"]})


@pytest.fixture
def bot_widget(db, agent_factory):
    widget = _bot_widget()
    agent_factory(widget)
    return widget


@pytest.fixture
def agent_factory(db):
    from accounts import services as account_services

    def make(widget):
        user = account_services.user_create(
            username="ana", email="ana@example.com", password="pw-ana-123", first_name="Ana", availability="online"
        )
        account_services.inbox_member_add(channel=widget, user=user)
        return user

    return make


def test_the_bot_greets_runs_a_button_flow_answers_a_keyword_hands_off_and_then_stays_quiet(bot_widget):
    visitor = Visitor(bot_widget)
    visitor.start()

    visitor.send("Olá")
    drain()
    conversation = Conversation.objects.get()
    assert conversation.assignee is None  # the bot has it: no agent is bothered yet
    assert _said(conversation)[-1] == ("bot", "Hi! What is it about?")
    assert [b["label"] for b in visitor.history().json()["messages"][-1]["buttons"]] == ["Orders", "Talk to a person"]

    _click(visitor, "Orders")
    drain()
    assert _said(conversation)[-1] == ("bot", "Track your order at example.com/orders.")

    visitor.send("E quanto custa o plano anual?")
    drain()
    assert _said(conversation)[-1] == ("bot", "Os planos começam em R$ 49 por mês.")
    assert [b["label"] for b in visitor.history().json()["messages"][-1]["buttons"]] == ["Back"]  # still in "orders"

    _click(visitor, "Back")
    drain()
    _click(visitor, "Talk to a person")
    drain()
    conversation.refresh_from_db()
    assert conversation.assignee is not None and conversation.assignee.username == "ana"
    assert _said(conversation)[-1][0] == "bot" and "person" in _said(conversation)[-1][1]

    visitor.send("quanto custa mesmo?")
    visitor.send("Olá?")
    drain()
    assert _said(conversation)[-2:] == [("contact", "quanto custa mesmo?"), ("contact", "Olá?")]

    bot_messages = conversation.messages.filter(sender_type=Message.SenderType.BOT)
    assert bot_messages.count() == 5
    assert set(bot_messages.values_list("status", flat=True)) == {Message.Status.SENT}  # via the outbound pipeline
    assert all(m.sender_user_id is None and m.payload["bot"] for m in bot_messages)


def test_a_hand_off_keyword_on_the_first_message_goes_straight_to_a_person(bot_widget):
    visitor = Visitor(bot_widget)
    visitor.start()

    visitor.send("Quero falar com um atendente, por favor")
    drain()

    conversation = Conversation.objects.get()
    assert conversation.assignee is not None
    assert [s for s, _ in _said(conversation)] == ["contact", "bot"]
    assert BotState.objects.get().handoff_message.content.startswith("Quero falar")


def test_an_agent_who_writes_first_silences_the_bot(bot_widget):
    from conversations import services
    from tests.factories import reply

    visitor = Visitor(bot_widget)
    visitor.start()
    visitor.send("Olá")
    drain()
    conversation = Conversation.objects.get()
    agent = bot_widget.memberships.get().user
    services.conversation_assign(conversation=conversation, assignee=agent, by=agent)
    reply(conversation, agent, text="Oi! Aqui é a Ana.")
    drain()

    visitor.send("quanto custa?")
    drain()

    assert _said(conversation)[-1] == ("contact", "quanto custa?")


def test_something_the_bot_does_not_understand_goes_to_a_person(bot_widget):
    visitor = Visitor(bot_widget)
    visitor.start()
    visitor.send("Olá")
    visitor.send("meu boleto veio com o CNPJ errado")
    drain()

    conversation = Conversation.objects.get()
    assert conversation.assignee is not None
    assert _said(conversation)[-1][0] == "bot"


def test_out_of_office_hours_the_away_reply_asks_for_an_email_once_and_keeps_it(db, agent_factory):
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).weekday()
    other_day = ["segunda-feira", "Terça", "quarta", "QUINTA-FEIRA", "sexta", "sábado", "Domingo"][(today + 3) % 7]
    widget = _bot_widget(
        office_hours=f"{other_day} 09:00-10:00", away_message="Estamos fora. Voltamos amanhã às 9h.", capture_email="on"
    )
    agent_factory(widget)
    visitor = Visitor(widget)
    visitor.start()
    visitor.profile(name="Lia")
    assert (
        visitor.client.get(f"/widget/{widget.uuid}/frame/", {"origin": "https://shop.example.com"}).status_code == 200
    )

    visitor.send("Oi, vocês estão aí?")
    drain()
    conversation = Conversation.objects.get()
    assert [t for s, t in _said(conversation) if s == "bot"] == [
        "Estamos fora. Voltamos amanhã às 9h.",
        "Leave your e-mail address here and we will answer you there too.",
    ]

    visitor.send("Claro: lia.souza@example.com")
    drain()
    conversation.refresh_from_db()
    assert conversation.contact.email == "lia.souza@example.com"
    assert _said(conversation)[-1] == ("bot", "Thank you! We will answer you at lia.souza@example.com.")

    visitor.send("obrigada")
    drain()
    assert _said(conversation)[-1] == ("contact", "obrigada")  # no second away reply


def test_the_bot_speaks_the_visitors_language(bot_widget):
    visitor = Visitor(bot_widget)
    visitor.start()
    visitor.client.defaults["HTTP_X_WIDGET_LANG"] = "pt-BR"
    visitor.send("preciso de um atendente")
    drain()

    assert _said(Conversation.objects.get())[-1] == (
        "bot",
        "Um momento: vou passar você para uma pessoa da nossa equipe, que responderá aqui.",
    )


def test_without_the_bot_new_conversations_are_assigned_at_once(db, agent_factory):
    widget = make_widget()
    agent_factory(widget)
    visitor = Visitor(widget)
    visitor.start()
    visitor.send("Olá")
    drain()

    conversation = Conversation.objects.get()
    assert conversation.assignee is not None
    assert _said(conversation) == [("contact", "Olá")]


# --- the rules alone (pure) ---------------------------------------------------------------------
CONFIG = bot.BotConfig(
    enabled=True,
    flow=bot.parse_flow(FLOW),
    faq=bot.parse_faq(FAQ),
    handoff_keywords=bot.parse_keywords("human, atendente"),
)
NOW = datetime(2026, 6, 29, 15, 0, tzinfo=UTC)  # a Monday, noon in São Paulo


def _decide(text="", *, state=bot.State(), button=None, first=False, config=CONFIG, now=NOW, has_email=False):
    return bot.decide(
        config=config, state=state, text=text, button=button, now=now, first_message=first, contact_has_email=has_email
    )


def test_keywords_match_whole_words_without_accents_or_case():
    assert _decide("Qual o PRECO?").replies[0].text.startswith("Os planos")
    assert _decide("preçoso").handoff  # not the word "preço": not understood
    assert _decide("Atendente!").handoff


def test_a_button_from_a_stale_or_forged_node_is_read_as_text():
    assert _decide("Orders", button={"node": "nope", "index": 0}).handoff
    assert _decide("Orders", button={"node": "start", "index": 9}).handoff
    assert _decide("x", button={"node": "start", "index": 0}).node == "orders"


def test_the_away_reply_is_not_repeated_within_hours():
    hours = office_hours.parse("mon-fri 09:00-10:00", "America/Sao_Paulo")
    config = bot.BotConfig(enabled=False, hours=hours, away_message="Fora do horário")
    first = _decide("oi", config=config)
    again = _decide("oi", config=config, state=bot.State(away_sent_at=NOW - timedelta(hours=1)))

    assert [r.text for r in first.replies][0] == "Fora do horário" and first.awaiting_email
    assert again.replies == () and again.handoff
    assert _decide("oi", config=config, has_email=True).awaiting_email is False


@pytest.mark.parametrize(
    ("text", "at", "open_"),
    [
        ("mon-fri 09:00-18:00", "2026-06-29T12:00", True),
        ("mon-fri 09:00-18:00", "2026-06-29T18:00", False),
        ("seg-sex 09:00-12:00 13:00-18:00", "2026-06-29T12:30", False),
        ("sáb 09:00-13:00", "2026-07-04T09:00", True),
        ("fri-mon 20:00-24:00", "2026-06-28T23:59", True),
        ("Segunda-feira a Sexta-feira 09:00-12:00 13:00-18:00", "2026-07-03T17:59", True),
        ("segunda a sexta-feira 09:00-12:00 13:00-18:00", "2026-07-04T10:00", False),
        ("SÁBADO 09:00-13:00", "2026-07-04T12:59", True),
        ("sabado, domingo 09:00-13:00", "2026-07-05T09:00", True),
        ("terça e quinta 08:00-09:00", "2026-06-30T08:30", True),
        ("terca,quinta 08:00-09:00", "2026-07-01T08:30", False),
        ("Monday to Friday 09:00-18:00", "2026-06-29T09:00", True),
        ("saturday-sunday 09:00-10:00", "2026-06-29T09:00", False),
    ],
)
def test_office_hours(text, at, open_):
    hours = office_hours.parse(text, "America/Sao_Paulo")
    moment = datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert hours.is_open(moment) is open_


@pytest.mark.parametrize(
    "text",
    [
        "mon 9-18",
        "someday 09:00-10:00",
        "mon 18:00-09:00",
        "mon 09:00-25:00",
        "mon",
        "segunda 25:00-26:00",
        "sexta 99:00-10:00",
        "09:00-18:00",
    ],
)
def test_office_hours_errors_name_the_line(text):
    with pytest.raises(office_hours.InvalidOfficeHours, match="Line 1"):
        office_hours.parse(text, "America/Sao_Paulo")


def test_flows_are_checked(db):
    with pytest.raises(bot.InvalidBotConfig, match="start"):
        bot.parse_flow({"other": {"text": "x"}})
    with pytest.raises(bot.InvalidBotConfig, match="not a node"):
        bot.parse_flow({"start": {"text": "x", "buttons": [{"label": "a", "goto": "missing"}]}})
    with pytest.raises(bot.InvalidBotConfig, match="either"):
        bot.parse_flow({"start": {"text": "x", "buttons": [{"label": "a", "goto": "start", "handoff": True}]}})
    assert timezone.now()  # keep the db fixture honest for the parametrised neighbours
