"""The Portuguese (Brazil) translation stays complete: every catalog entry translated and none
fuzzy, every compiled .mo in step with its .po, every string of the source in a catalog, and the
console's main pages rendered in pt-BR with no English left in them.

The catalogs are read by a small parser here (no extra dependency); only the check that the
catalogs hold every string of the source runs gettext's tools, through `makemessages`, on a copy
of the source."""

import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.factories import conversation_with_customer, receive

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = {".git", ".venv", "node_modules", "tests", "bench", "docs", "media", "staticfiles", "static"}
CATALOGS = sorted(
    path.relative_to(ROOT)
    for top in ROOT.iterdir()
    if top.is_dir() and top.name not in NOT_SOURCE and not top.name.startswith(".")
    for path in ROOT.glob(f"{top.name}/**/pt_BR/LC_MESSAGES/django.po")
    if path.parents[2].name == "locale"
)
PLURAL_FORMS = "nplurals=2; plural=(n > 1);"
MAKEMESSAGES_ARGS = [
    "makemessages", "-l", "pt_BR", "-v0",
    "--ignore=.venv", "--ignore=node_modules", "--ignore=static/vendor", "--ignore=tests", "--ignore=bench",
]  # fmt: skip


# --------------------------------------------------------------------------------- the .po parser
@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # msgstr is {0: ...}; msgstr[n] is {n: ...}
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid[:70]!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text.strip()[1:-1])


def parse_po(path: Path) -> list[Entry]:
    entries, entry, target = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            entry = target = None
            continue
        if line.startswith("#"):
            if entry is None:
                entry = Entry(line=number)
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            text = _unquote(line)
            if target == "msgid":
                entry.msgid += text
            elif target == "msgid_plural":
                entry.msgid_plural += text
            elif target == "msgctxt":
                entry.msgctxt += text
            else:
                entry.msgstr[target] += text
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        entry.obsolete = entry.obsolete or obsolete
        text = _unquote(rest)
        if keyword in ("msgid", "msgid_plural", "msgctxt"):
            setattr(entry, keyword, text)
            target = keyword
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            target = int(keyword[7:-1]) if "[" in keyword else 0
            entry.msgstr[target] = text
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    return entries


def live(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if not e.obsolete]


def header(path: Path) -> dict[str, str]:
    first = live(path)[0]
    assert first.msgid == "", f"{path} has no header entry"
    return dict(line.split(": ", 1) for line in first.msgstr[0].splitlines() if ": " in line)


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}", text.replace("%%", "")))


HTML_TAG = re.compile(r"</?(?:a|b|br|code|em|i|kbd|li|ol|p|span|strong|ul)\b[^>]*>")


def tags(text: str) -> list[str]:
    return sorted(HTML_TAG.findall(text))


# ------------------------------------------------------------------------------- the catalogs
def test_the_project_and_the_apps_have_pt_br_catalogs():
    assert Path("locale/pt_BR/LC_MESSAGES/django.po") in CATALOGS
    assert Path("channels_app/providers/web_widget/locale/pt_BR/LC_MESSAGES/django.po") in CATALOGS


@pytest.mark.parametrize("catalog", CATALOGS, ids=str)
def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    path = ROOT / catalog
    assert header(path).get("Language") == "pt_BR"
    assert header(path).get("Plural-Forms", "").strip() == PLURAL_FORMS
    entries = live(path)[1:]
    assert entries, f"{catalog} is empty"

    fuzzy = [e.label for e in live(path) if "fuzzy" in e.flags]
    untranslated = [
        e.label for e in entries if not all(e.msgstr.values()) or len(e.msgstr) != (2 if e.msgid_plural else 1)
    ]
    assert not fuzzy, f"fuzzy entries in {catalog} (review them, then drop the flag): {fuzzy}"
    assert not untranslated, f"untranslated entries in {catalog}: {untranslated}"


@pytest.mark.parametrize("catalog", CATALOGS, ids=str)
def test_translations_keep_the_placeholders_and_the_markup(catalog):
    wrong = []
    for e in live(ROOT / catalog)[1:]:
        sources = [e.msgid, e.msgid_plural or e.msgid]
        for index, text in e.msgstr.items():
            source = sources[min(index, 1)]
            # A singular may say "one" instead of its number (e.g. "%(count)s new message").
            if placeholders(text) != placeholders(source) and not (e.msgid_plural and index == 0):
                wrong.append(f"{e.label}: placeholders {placeholders(source)} became {placeholders(text)}")
            if tags(text) != tags(source):
                wrong.append(f"{e.label}: markup {tags(source)} became {tags(text)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("catalog", CATALOGS, ids=str)
def test_the_compiled_catalog_matches_its_source(catalog):
    """django.mo is what Django reads: it must hold exactly what django.po says (run
    `manage.py compilemessages -l pt_BR --ignore=.venv` after editing a .po)."""
    po, mo = ROOT / catalog, (ROOT / catalog).with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: compile the catalog"
    with mo.open("rb") as f:
        compiled = dict(gettext.GNUTranslations(f)._catalog)

    expected = {}
    for e in live(po):
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is None:
            expected[key] = e.msgstr.get(0, "")
        else:
            expected.update({(key, n): text for n, text in e.msgstr.items()})
    compiled.pop("", None)
    expected.pop("", None)
    stale = sorted(str(k)[:70] for k in expected.keys() ^ compiled.keys())
    stale += sorted(str(k)[:70] for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert not stale, f"{mo.relative_to(ROOT)} is out of date with its .po; differing entries: {stale[:20]}"


def test_catalogs_that_share_a_string_translate_it_alike():
    """The project catalog wins at run time; an app's own catalog (used when the app is reused
    elsewhere) must not say something else."""
    project = {e.msgid: e.msgstr for e in live(ROOT / "locale/pt_BR/LC_MESSAGES/django.po")[1:]}
    differ = [
        f"{catalog}: {e.msgid!r}: {e.msgstr} here, {project[e.msgid]} in the project"
        for catalog in CATALOGS
        if catalog != Path("locale/pt_BR/LC_MESSAGES/django.po")
        for e in live(ROOT / catalog)[1:]
        if e.msgid in project and project[e.msgid] != e.msgstr
    ]
    assert not differ, "\n".join(differ)


def test_the_catalogs_hold_every_string_of_the_source(tmp_path):
    """A string wrapped for translation but missing from a catalog is shown in English: run
    makemessages on a copy of the source and compare (run it on the project, then translate)."""
    assert shutil.which("xgettext") and shutil.which("msgmerge"), "gettext's tools are needed (apt-get install gettext)"
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "tests", "bench", "docs", "media", "staticfiles", "__pycache__", "*.mo",
            "db.sqlite3*", ".ruff_cache", ".pytest_cache", "test-results",
        ),
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES_ARGS],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "DJANGO_SETTINGS_MODULE": "omnichannel.settings_test"},
    )
    problems = []
    for catalog in CATALOGS:
        ours = {(e.msgctxt, e.msgid) for e in live(ROOT / catalog)[1:]}
        fresh = {(e.msgctxt, e.msgid) for e in live(copy / catalog)[1:]}
        problems += [f"{catalog}: not in the catalog: {m!r}" for _, m in sorted(fresh - ours, key=str)]
        problems += [f"{catalog}: no longer in the source: {m!r}" for _, m in sorted(ours - fresh, key=str)]
    new_catalogs = {p.relative_to(copy) for p in copy.glob("**/locale/pt_BR/LC_MESSAGES/django.po")} - set(CATALOGS)
    problems += [f"new catalog not committed: {p}" for p in new_catalogs]
    assert not problems, "run `manage.py makemessages -l pt_BR ...` and translate:\n" + "\n".join(problems[:40])


# ------------------------------------------------------------------------------ rendered pages
class _Text(HTMLParser):
    """The words a person meets on a page: text nodes and the attributes read aloud or shown."""

    SKIP = {"script", "style", "pre", "code", "svg", "textarea"}
    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm"}

    def __init__(self):
        super().__init__()
        self.texts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        self.texts += [value.strip() for name, value in attrs if name in self.ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def english_sources() -> set[str]:
    """English strings that read differently in Portuguese: finding one on a pt-BR page means
    something was not translated."""
    return {
        e.msgid
        for catalog in CATALOGS
        for e in live(ROOT / catalog)[1:]
        if e.msgid_plural is None and e.msgstr.get(0) not in ("", e.msgid)
    }


def _portuguese(client, url):
    client.cookies["django_language"] = "pt-br"
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="pt-br">' in html, url
    return html


def _leftovers(html, english):
    return sorted({text for text in visible_texts(html) if text in english})


@pytest.mark.django_db
def test_the_inbox_and_a_conversation_are_in_portuguese(client, personas, english_sources):
    from conversations import services as conversation_services

    receive(personas.channel_a, sender_id="maria", text="Meu pedido atrasou", name="Maria Silva")
    conversation = conversation_with_customer(personas.channel_a, sender_id="joao")
    conversation_services.conversation_set_status(conversation=conversation, status="pending", by=personas.agent_a)
    client.force_login(personas.agent_a)

    inbox = _portuguese(client, "/inbox/?view=all")
    nav = inbox.split('<nav class="rail"', 1)[1].split("</nav>", 1)[0]
    for words in ("Caixa de entrada", "Contatos", "Buscar", "Perfil e senha", "Sair", "Disponibilidade", "Idioma"):
        assert words in nav, words
    for english in (">Inbox<", ">Contacts<", ">Search<", "Sign out", "Availability", "account menu"):
        assert english not in nav, english
    for words in ("Minhas", "Não atribuídas", "Todas", "Todos os canais", "Escolha uma conversa à esquerda."):
        assert words in inbox, words
    assert _leftovers(inbox, english_sources) == []

    pane = _portuguese(client, f"/conversations/{conversation.uuid}/")
    for words in ("Resolver", "Adiar", "Nota privada", "Enviar", "Responsável", "Etiquetas", "mudou o status para"):
        assert words in pane, words
    assert _leftovers(pane, english_sources) == []
    assert '"Reconnecting…": "Reconectando…"' in pane  # the strings handed to console.js


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/contacts/", "/search/?q=pedido", "/profile/", "/accounts/password_change/"],
)
def test_an_agents_other_pages_are_in_portuguese(client, personas, english_sources, url):
    receive(personas.channel_a, sender_id="maria", text="Meu pedido atrasou", name="Maria Silva")
    client.force_login(personas.agent_a)

    assert _leftovers(_portuguese(client, url), english_sources) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/settings/channels/",
        "/settings/channels/new/api/",
        "/settings/channels/new/whatsapp/",
        "/settings/channels/new/web_widget/",
        "/settings/channels/new/email/",
        "/settings/agents/",
        "/settings/agents/new/",
        "/settings/teams/",
        "/settings/canned/",
        "/settings/labels/",
        "/settings/api-keys/",
        "/settings/webhooks/",
    ],
)
def test_the_settings_are_in_portuguese(client, personas, english_sources, url):
    client.force_login(personas.admin)

    page = _portuguese(client, url)

    assert "Configurações" in page and "Canais" in page and "Respostas prontas" in page
    assert _leftovers(page, english_sources) == []


@pytest.mark.django_db
def test_a_channels_settings_page_is_in_portuguese(client, personas, english_sources):
    client.force_login(personas.admin)

    page = _portuguese(client, f"/settings/channels/{personas.channel_a.uuid}/")

    assert "Testar conexão" in page
    assert _leftovers(page, english_sources) == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password_reset/", "/no-such-page/"])
def test_the_pages_before_signing_in_are_in_portuguese(client, english_sources, url):
    client.cookies["django_language"] = "pt-br"
    response = client.get(url)

    texts = visible_texts(response.content.decode())
    assert [t for t in texts if t in english_sources] == []
    assert "Not Found" not in texts
