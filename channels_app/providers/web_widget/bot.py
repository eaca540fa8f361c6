"""The widget's bot: what it answers to a visitor's message. Pure: configuration, the bot's state
and the message in, a Decision out; services.bot_react applies it (sends through the outbound
pipeline, records the state).

Order of rules for each visitor message, until one applies:
1. waiting for an e-mail address (after an away reply): take it, thank the visitor;
2. outside office hours: the away reply (at most once every few hours), asking for an e-mail
   address if the contact has none; the conversation goes to the humans for when they are back;
3. a human has the conversation (handed off, assigned, or an agent wrote): stay quiet;
4. a button of the flow: go to its node, or hand off;
5. a hand-off keyword ("human", "atendente"…): hand off;
6. a FAQ keyword: its answer (with the buttons of where the visitor was in the flow);
7. the first message of the conversation: the flow's `start` node;
8. anything else: hand off, since a person understands more than keywords.
Rules 4–8 apply only with the bot turned on; office hours work without it.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from channels_app.providers.web_widget import office_hours

AWAY_REPEAT_AFTER = timedelta(hours=8)
MAX_NODES = 50
MAX_BUTTONS = 8
_NODE_KEY = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[a-zA-Z]{2,}")
DEFAULT_HANDOFF_KEYWORDS = "human, person, agent, atendente, humano, pessoa"


class InvalidBotConfig(ValueError):
    pass


@dataclass(frozen=True)
class Button:
    label: str
    goto: str = ""
    handoff: bool = False


@dataclass(frozen=True)
class Node:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Faq:
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class BotConfig:
    enabled: bool = False
    flow: dict[str, Node] = field(default_factory=dict)
    faq: tuple[Faq, ...] = ()
    handoff_keywords: tuple[str, ...] = ()
    hours: office_hours.OfficeHours | None = None
    away_message: str = ""
    capture_email: bool = True

    @property
    def active(self) -> bool:
        """Whether the bot ever speaks: flows turned on, or office hours to enforce."""
        return self.enabled or bool(self.hours and self.hours.slots)


@dataclass(frozen=True)
class State:
    node: str = ""
    handed_off: bool = False
    agent_involved: bool = False  # assigned, or an agent already wrote
    awaiting_email: bool = False
    away_sent_at: datetime | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    node: str = ""
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Decision:
    replies: tuple[Reply, ...] = ()
    handoff: bool = False
    node: str | None = None  # the new current node, when it changes
    awaiting_email: bool = False
    away_sent: bool = False
    email: str = ""  # an e-mail address the visitor gave


# --- configuration ---------------------------------------------------------------------------
def parse_flow(data) -> dict[str, Node]:
    """The flow as the admin wrote it (JSON object of nodes). Raises InvalidBotConfig."""
    if data in (None, "", {}):
        return {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidBotConfig(_("The flow is not valid JSON: %(error)s") % {"error": exc}) from exc
    if not isinstance(data, dict):
        raise InvalidBotConfig(_('The flow must be a JSON object of nodes, e.g. {"start": {…}}.'))
    if len(data) > MAX_NODES:
        raise InvalidBotConfig(_("A flow has at most %(n)s nodes.") % {"n": MAX_NODES})
    if "start" not in data:
        raise InvalidBotConfig(_("The flow needs a node named “start”: the bot's first answer."))
    nodes = {}
    for key, node in data.items():
        if not _NODE_KEY.match(str(key)):
            raise InvalidBotConfig(_("Node names use letters, digits, - and _ only: “%(key)s”.") % {"key": key})
        if not isinstance(node, dict) or not isinstance(node.get("text"), str) or not node["text"].strip():
            raise InvalidBotConfig(_("Node “%(key)s” needs a “text”.") % {"key": key})
        buttons = node.get("buttons") or []
        if not isinstance(buttons, list) or len(buttons) > MAX_BUTTONS:
            raise InvalidBotConfig(
                _("Node “%(key)s”: “buttons” must be a list of at most %(n)s.") % {"key": key, "n": MAX_BUTTONS}
            )
        parsed = []
        for button in buttons:
            label = button.get("label") if isinstance(button, dict) else None
            if not isinstance(label, str) or not label.strip() or len(label) > 60:
                raise InvalidBotConfig(_("Node “%(key)s”: every button needs a short “label”.") % {"key": key})
            goto, handoff = button.get("goto") or "", bool(button.get("handoff"))
            if bool(goto) == handoff:
                raise InvalidBotConfig(
                    _("Button “%(label)s”: give either “goto” (a node) or “handoff”: true.") % {"label": label}
                )
            if goto and goto not in data:
                raise InvalidBotConfig(
                    _("Button “%(label)s” goes to “%(goto)s”, which is not a node.") % {"label": label, "goto": goto}
                )
            parsed.append(Button(label=label.strip(), goto=goto, handoff=handoff))
        nodes[str(key)] = Node(text=node["text"].strip()[:2000], buttons=tuple(parsed))
    return nodes


def flow_as_data(flow: dict[str, Node]) -> dict:
    return {
        key: {
            "text": node.text,
            "buttons": [
                {"label": b.label, **({"handoff": True} if b.handoff else {"goto": b.goto})} for b in node.buttons
            ],
        }
        for key, node in flow.items()
    }


def parse_faq(text: str) -> tuple[Faq, ...]:
    """One answer per line: `keyword, other keyword => answer`. Raises InvalidBotConfig."""
    entries = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keywords, sep, answer = line.partition("=>")
        words = tuple(k for k in (normalize(w) for w in keywords.split(",")) if k)
        if not sep or not words or not answer.strip():
            raise InvalidBotConfig(
                _("Line %(n)s: write keywords, then => and the answer, e.g. “price, cost => From R$ 49.”")
                % {"n": number}
            )
        entries.append(Faq(keywords=words, answer=answer.strip()))
    return tuple(entries)


def parse_keywords(text: str) -> tuple[str, ...]:
    return tuple(k for k in (normalize(w) for w in (text or "").split(",")) if k)


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: “Preço?” → “preco”."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _mentions(text: str, keywords: tuple[str, ...]) -> bool:
    padded = f" {normalize(text)} "
    return any(f" {keyword} " in padded for keyword in keywords)


def find_email(text: str) -> str:
    match = _EMAIL.search(text or "")
    return match.group(0).rstrip(".").lower() if match else ""


# --- the decision ----------------------------------------------------------------------------
def decide(
    *,
    config: BotConfig,
    state: State,
    text: str,
    button: dict | None,
    now: datetime,
    first_message: bool,
    contact_has_email: bool,
) -> Decision:
    """What the bot does about one visitor message. Strings come out in the active language."""
    if state.awaiting_email:
        email = find_email(text)
        if email:
            return Decision(
                replies=(Reply(_("Thank you! We will answer you at %(email)s.") % {"email": email}),),
                email=email,
            )
    if config.hours is not None and not config.hours.is_open(now):
        return _away(config, state, now, contact_has_email)
    if state.handed_off or state.agent_involved:
        return Decision()
    if not config.enabled:
        return Decision()
    if button:
        chosen = _button(config, button)
        if chosen is not None and chosen.handoff:
            return _handoff()
        if chosen is not None:
            return _go(config, chosen.goto)
    if _mentions(text, config.handoff_keywords):
        return _handoff()
    for entry in config.faq:
        if _mentions(text, entry.keywords):
            # Keep the visitor's place in the flow: the answer offers the current node's buttons.
            node = config.flow.get(state.node)
            return Decision(
                replies=(Reply(entry.answer, node=state.node if node else "", buttons=node.buttons if node else ()),)
            )
    if first_message and "start" in config.flow:
        return _go(config, "start")
    return _handoff()


def _away(config: BotConfig, state: State, now: datetime, contact_has_email: bool) -> Decision:
    if state.away_sent_at and now - state.away_sent_at < AWAY_REPEAT_AFTER:
        return Decision(handoff=True)
    replies = [Reply(config.away_message or _("We are away right now and will answer as soon as we are back."))]
    ask = config.capture_email and not contact_has_email
    if ask:
        replies.append(Reply(_("Leave your e-mail address here and we will answer you there too.")))
    return Decision(replies=tuple(replies), handoff=True, awaiting_email=ask, away_sent=True)


def _button(config: BotConfig, button: dict) -> Button | None:
    node = config.flow.get(str(button.get("node") or ""))
    index = button.get("index")
    if node is None or not isinstance(index, int) or not 0 <= index < len(node.buttons):
        return None
    return node.buttons[index]


def _go(config: BotConfig, key: str) -> Decision:
    node = config.flow[key]
    return Decision(replies=(Reply(node.text, node=key, buttons=node.buttons),), node=key)


def _handoff() -> Decision:
    return Decision(
        replies=(Reply(_("One moment: I am passing you to a person from our team, who will answer here.")),),
        handoff=True,
    )
