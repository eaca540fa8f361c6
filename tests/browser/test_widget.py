"""The web chat widget in a real browser, across two origins: host pages are served by a small
static server on another port (127.0.0.1:<port> is an allowed site, localhost:<port> is not);
the helpdesk (daphne) serves the loader, the chat frame, the API and the WebSockets."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts import services as account_services
from channels_app import services as channel_services
from channels_app.models import InboundEvent
from channels_app.providers.web_widget import security
from channels_app.providers.web_widget.forms import WebWidgetForm
from conversations.models import Conversation, Message
from tests.browser.conftest import sign_in
from tests.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-widget-123"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5b2d1a70000000049454e44ae426082"
)
HOSTILE_CSS = """
* { all: unset; }
html { font-size: 48px; } body { font-size: 64px; font-family: "Comic Sans MS", cursive; line-height: 3; }
iframe { width: 10px; height: 10px; display: none; opacity: .1; position: static; }
"""


class HostPages:
    """A static web server for host pages: another origin than the helpdesk's."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, *, app: str, widget, css: str = "", head: str = "", attrs: str = "") -> None:
        self.pages[path] = f"""<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Loja Teste</title>
<style>{css}</style><script>window.__globalsBefore = Object.keys(window);</script>{head}</head>
<body><h1>Loja Teste</h1><p>Produtos, preços e entregas.</p>
<script src="{app}/widget.js" data-widget="{widget.uuid}" {attrs} async></script></body></html>"""

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="module")
def host():
    pages = HostPages()
    yield pages
    pages.server.shutdown()


@pytest.fixture
def widget(host):
    form = WebWidgetForm(
        data={
            "name": "Loja Teste",
            "allowed_domains": f"127.0.0.1:{host.port}",
            "title": "Loja Teste",
            "color": "#0f766e",
            "position": "right",
            "launcher_text": "Fale conosco",
            "greeting": "Olá! Como podemos ajudar?",
            "language": "auto",
            "prechat_enabled": "on",
            "prechat_name": "required",
            "prechat_email": "optional",
            "prechat_phone": "off",
            "time_zone": "America/Sao_Paulo",
            "uploads": "documents",
            "max_upload_mb": "5",
        }
    )
    assert form.is_valid(), form.errors
    channel = channel_services.channel_create(
        kind="web_widget", name="Loja Teste", settings=form.settings_data(), credentials=form.credentials_data()
    )
    ana = account_services.user_create(
        username="ana", email="ana@example.com", password=PASSWORD, first_name="Ana", availability="online"
    )
    account_services.inbox_member_add(channel=channel, user=ana)
    return channel


def _chat(page):
    return page.frame_locator("iframe[data-helpdesk-widget]")


def _open(page, url):
    page.goto(url)
    chat = _chat(page)
    expect(chat.locator("#launcher")).to_be_visible(timeout=10000)
    chat.locator("#launcher").click()
    expect(chat.locator("#panel")).to_be_visible()
    return chat


def _png(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(PNG)
    return str(path)


def test_a_visitor_and_an_agent_chat_live_across_origins_with_history_and_images(
    browser, app_server, host, widget, tmp_path
):
    host.page("/shop.html", app=app_server, widget=widget)
    visitor_context, agent_context = browser.new_context(locale="en-US"), browser.new_context()
    visitor, agent = visitor_context.new_page(), agent_context.new_page()
    errors, requested = [], []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy violations inside the chat frame.
    visitor.on("console", lambda m: m.type == "error" and errors.append(f"{m.text} {m.location.get('url', '')}"))
    visitor.on("request", lambda request: requested.append(request.url))
    sign_in(agent, app_server, "ana", PASSWORD)
    agent.goto(f"{app_server}/inbox/?view=all")

    chat = _open(visitor, host.url("/shop.html"))
    expect(chat.locator("#greeting")).to_have_text("Olá! Como podemos ajudar?")
    expect(chat.locator("#pc-name")).to_be_focused()
    chat.locator("#prechat button[type=submit]").click()
    expect(chat.locator("#pc-name-error")).to_have_text("Required")
    chat.locator("#pc-name").fill("Maria Souza")
    chat.locator("#pc-email").fill("maria@example.com")
    chat.locator("#prechat button[type=submit]").click()
    expect(chat.locator("#text")).to_be_focused()
    chat.locator("#text").fill("Olá, preciso de ajuda com meu pedido")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-visitor")).to_contain_text("Olá, preciso de ajuda com meu pedido")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Sent", timeout=8000)

    # The agent's inbox (another origin, another browser context) shows it live.
    row = agent.locator(".row", has_text="Maria Souza")
    expect(row).to_be_visible(timeout=8000)
    expect(row).to_contain_text("Olá, preciso de ajuda com meu pedido")
    row.click()
    expect(agent.locator("#timeline")).to_contain_text("Olá, preciso de ajuda com meu pedido")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Seen", timeout=8000)

    # Typing, then the reply, live in the widget.
    agent.fill("#composer-text", "Claro, Maria!")
    expect(chat.locator("#typing")).to_have_text("Ana is typing…", timeout=8000)
    agent.keyboard.press("Enter")
    expect(chat.locator(".msg.from-agent")).to_contain_text("Claro, Maria!", timeout=8000)
    expect(chat.locator(".msg.from-agent .author")).to_have_text("Ana")
    expect(chat.locator("#typing")).to_have_text("")
    expect(agent.locator("#timeline .msg.out .tick.read")).to_have_count(1, timeout=8000)  # the visitor read it

    # The visitor types too: the agent sees it.
    # Typing indicators are best effort and repeat while the visitor keeps typing.
    chat.locator("#text").press_sequentially("Obrigada, já vou", delay=250)
    expect(agent.locator("#typing")).to_contain_text("Maria Souza", timeout=8000)

    # An image from the visitor, with a preview before sending.
    chat.locator("#text").fill("")
    chat.locator("#file").set_input_files(_png(tmp_path, "comprovante.png"))
    expect(chat.locator("#files li")).to_contain_text("comprovante.png")
    expect(chat.locator("#files img")).to_be_visible()
    chat.locator(".send").click()
    expect(agent.locator("#timeline img[alt='comprovante.png']")).to_be_visible(timeout=8000)

    # An image from the agent.
    agent.locator("#composer-files").set_input_files(_png(tmp_path, "produto.png"))
    agent.fill("#composer-text", "Foto do produto")
    agent.keyboard.press("Enter")
    expect(chat.locator(".msg.from-agent img[alt='produto.png']")).to_be_visible(timeout=8000)

    # Reload: the history is there.
    visitor.reload()
    chat = _chat(visitor)
    expect(chat.locator("#launcher")).to_be_visible(timeout=10000)
    chat.locator("#launcher").click()
    expect(chat.locator("#log")).to_contain_text("Olá, preciso de ajuda com meu pedido")
    expect(chat.locator("#log")).to_contain_text("Claro, Maria!")
    expect(chat.locator(".msg.from-visitor img[alt='comprovante.png']")).to_be_visible()
    expect(chat.locator(".msg.from-agent img[alt='produto.png']")).to_be_visible()
    expect(chat.locator("#prechat")).to_be_hidden()

    assert Message.objects.filter(direction="in").count() == 2  # no duplicates from retries or reloads
    assert errors == []
    # No third-party requests: only the host page's origin and the helpdesk's (blob: previews stay local).
    origins = {"/".join(url.split("/")[:3]) for url in requested if not url.startswith(("blob:", "data:"))}
    assert origins == {app_server, host.url("")}
    for context in (visitor_context, agent_context):
        context.close()


def test_a_reply_while_the_chat_is_closed_shows_an_unread_badge_and_the_page_title(browser, app_server, host, widget):
    from conversations import services
    from tests.factories import reply

    host.page("/title.html", app=app_server, widget=widget)
    page = browser.new_page()
    chat = _open(page, host.url("/title.html"))
    chat.locator("#pc-name").fill("Rui")
    chat.locator("#prechat button[type=submit]").click()
    chat.locator("#text").fill("Oi")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Sent", timeout=8000)
    chat.locator("#close").click()
    expect(chat.locator("#launcher")).to_be_focused()

    conversation = Conversation.objects.get()
    agent = conversation.channel.memberships.get().user
    services.conversation_assign(conversation=conversation, assignee=agent, by=agent)
    reply(conversation, agent, text="Olá, Rui!")
    from channels_app.services import outbound_drain

    outbound_drain()

    expect(chat.locator("#badge")).to_have_text("1", timeout=8000)
    expect(page).to_have_title("(1) Loja Teste")
    assert "1 new message" in chat.locator("#launcher").get_attribute("aria-label")
    chat.locator("#launcher").click()
    expect(chat.locator("#log")).to_contain_text("Olá, Rui!")
    expect(page).to_have_title("Loja Teste")
    expect(chat.locator("#badge")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(chat.locator("#panel")).to_be_hidden()
    page.close()


def test_the_host_pages_css_cannot_change_the_widget_and_it_adds_one_global(browser, app_server, host, widget):
    host.page("/plain.html", app=app_server, widget=widget)
    host.page("/hostile.html", app=app_server, widget=widget, css=HOSTILE_CSS)
    measured = {}
    for name in ("plain", "hostile"):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        chat = _chat(page)
        page.goto(host.url(f"/{name}.html"))
        expect(chat.locator("#launcher")).to_be_visible(timeout=10000)
        frame_box = page.locator("iframe[data-helpdesk-widget]").bounding_box()
        launcher = chat.locator("#launcher")
        closed = (frame_box, launcher.bounding_box(), launcher.evaluate("e => getComputedStyle(e).fontSize"))
        launcher.click()
        expect(chat.locator("#panel")).to_be_visible()
        title = chat.locator("#title")
        opened = (
            page.locator("iframe[data-helpdesk-widget]").bounding_box(),
            title.evaluate("e => [getComputedStyle(e).fontSize, getComputedStyle(e).fontFamily]"),
            chat.locator("#pc-name").bounding_box(),
        )
        # Numeric keys are the page's frames (window[0] is the widget's iframe), not variables.
        added = page.evaluate(
            "Object.keys(window).filter(k => !window.__globalsBefore.includes(k) && !/^\\d+$/.test(k))"
        )
        measured[name] = (closed, opened, sorted(added))
        page.close()

    assert measured["hostile"] == measured["plain"]
    (frame_box, launcher_box, font_size), (open_box, title_font, _), added = measured["plain"]
    assert frame_box["width"] > 60 and frame_box["height"] > 60 and font_size == "15px"
    assert open_box["width"] == 420 and title_font[0] == "17px"
    assert added == ["HelpdeskWidget", "__globalsBefore"]


def test_a_page_on_a_site_that_is_not_allowed_gets_no_widget_no_socket_and_cannot_post(
    browser, app_server, host, widget
):
    host.page("/evil.html", app=app_server, widget=widget)
    allowed = security.visitor_new(channel_uuid=widget.uuid, origin=f"http://127.0.0.1:{host.port}")
    token = security.token_issue(allowed)  # even a valid visitor token does not help a foreign page
    page = browser.new_page()
    page.goto(host.url("/evil.html", host="localhost"))
    page.wait_for_timeout(1500)

    frame = page.locator("iframe[data-helpdesk-widget]")
    assert frame.evaluate("e => getComputedStyle(e).visibility") == "hidden"
    expect(_chat(page).locator("#launcher")).to_have_count(0)

    app_ws = app_server.replace("http://", "ws://")
    result = page.evaluate(
        """async ([app, appWs, token]) => {
            const socket = await new Promise((resolve) => {
                const ws = new WebSocket(appWs + "/ws/widget/");
                ws.onopen = () => { ws.send(JSON.stringify({type: "auth", token})); };
                ws.onmessage = (e) => resolve("message: " + e.data);
                ws.onclose = (e) => resolve("closed " + e.code);
            });
            let post;
            try {
                const r = await fetch(app + "/widget/api/messages", {
                    method: "POST",
                    headers: {"Content-Type": "application/json", "X-Visitor-Token": token},
                    body: JSON.stringify({client_id: crypto.randomUUID(), text: "from a foreign page"}),
                });
                post = "status " + r.status;
            } catch (e) { post = "blocked"; }
            let simple;
            try {
                const r = await fetch(app + "/widget/api/messages", {method: "POST", mode: "no-cors",
                    body: JSON.stringify({client_id: crypto.randomUUID(), text: "no-cors"})});
                simple = "opaque " + r.type;
            } catch (e) { simple = "blocked"; }
            return {socket, post, simple};
        }""",
        [app_server, app_ws, token],
    )

    assert result["socket"].startswith("closed") and "message" not in result["socket"]
    assert result["post"] == "blocked"
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0
    page.close()


def test_a_signed_in_user_of_the_site_is_recognised_and_the_page_can_drive_the_widget(
    browser, app_server, host, widget
):
    from contacts.models import ContactIdentity

    secret = "site-secret-0123456789abcdef"
    widget.credentials = {"identity_secret": secret}
    widget.save()
    signature = security.identity_hash(secret, "cliente-77")
    attrs = f'data-user-id="cliente-77" data-user-hash="{signature}" data-user-name="Bia Lima"'
    host.page("/account.html", app=app_server, widget=widget, attrs=attrs)
    page = browser.new_page()
    page.goto(host.url("/account.html"))
    chat = _chat(page)
    expect(chat.locator("#launcher")).to_be_visible(timeout=10000)

    page.evaluate("HelpdeskWidget.open()")
    expect(chat.locator("#panel")).to_be_visible()
    expect(chat.locator("#prechat")).to_be_hidden()  # the site already said who this is
    chat.locator("#text").fill("Oi, sou a Bia")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Sent", timeout=8000)
    identity = ContactIdentity.objects.select_related("contact").get(medium="web")
    assert identity.address == f"{widget.uuid}:user:cliente-77" and identity.contact.name == "Bia Lima"

    page.evaluate("HelpdeskWidget.reset()")  # signed out: this browser forgets Bia
    expect(chat.locator("#log .msg")).to_have_count(0)
    expect(chat.locator("#prechat")).to_be_visible()
    page.evaluate("HelpdeskWidget.close()")
    expect(chat.locator("#panel")).to_be_hidden()
    page.close()


def test_the_widget_speaks_portuguese_to_a_portuguese_browser(browser, app_server, host, widget):
    host.page("/pt.html", app=app_server, widget=widget)
    context = browser.new_context(locale="pt-BR")
    page = context.new_page()
    chat = _open(page, host.url("/pt.html"))

    expect(chat.locator("#close")).to_have_attribute("aria-label", "Fechar o chat")
    expect(chat.locator("#prechat h2")).to_have_text("Antes de começar, conte quem é você")
    chat.locator("#prechat button[type=submit]").click()
    expect(chat.locator("#pc-name-error")).to_have_text("Obrigatório")
    chat.locator("#pc-name").fill("Joana")
    chat.locator("#pc-email").fill("isto não é e-mail")
    chat.locator("#prechat button[type=submit]").click()
    expect(chat.locator("#pc-email-error")).to_contain_text("endereço de email válido")
    chat.locator("#pc-email").fill("")
    chat.locator("#prechat button[type=submit]").click()
    expect(chat.locator("#text")).to_have_attribute("placeholder", "Escreva uma mensagem…")
    chat.locator("#text").fill("Oi")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Enviada", timeout=8000)
    context.close()


def test_when_websockets_are_blocked_the_widget_falls_back_to_polling(browser, app_server, host, widget):
    from tests.factories import reply

    host.page("/nows.html", app=app_server, widget=widget)
    context = browser.new_context(locale="en-US")
    context.route_web_socket("**/ws/widget/", lambda ws: ws.close())
    page = context.new_page()
    chat = _open(page, host.url("/nows.html"))
    chat.locator("#pc-name").fill("Caio")
    chat.locator("#prechat button[type=submit]").click()
    chat.locator("#text").fill("Tem alguém aí?")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-visitor .meta")).to_have_text("Sent", timeout=8000)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    conversation = Conversation.objects.get()
    reply(
        conversation, conversation.channel.memberships.get().user, text="<img src=x onerror=alert(1)> Sim, estou aqui!"
    )
    from channels_app.services import outbound_drain

    outbound_drain()

    # Arrives by polling, and markup from agents is shown as text, never run.
    expect(chat.locator(".msg.from-agent .text")).to_have_text(
        "<img src=x onerror=alert(1)> Sim, estou aqui!", timeout=10000
    )
    expect(chat.locator(".msg.from-agent img")).to_have_count(0)
    assert dialogs == []

    # Typing both ways without the visitor's socket: the visitor's keystrokes are posted, the
    # agent's typing comes back with the next poll.
    agent_context = browser.new_context(locale="en-US")
    agent = agent_context.new_page()
    sign_in(agent, app_server, "ana", PASSWORD)
    agent.goto(f"{app_server}/inbox/?view=all")
    agent.locator(".row", has_text="Caio").click()
    expect(agent.locator("#timeline")).to_contain_text("Tem alguém aí?")
    chat.locator("#text").press_sequentially("Mais uma pergunta", delay=250)
    expect(agent.locator("#typing")).to_contain_text("Caio", timeout=8000)
    agent.locator("#composer-text").press_sequentially("Um momento", delay=200)
    expect(chat.locator("#typing")).to_have_text("Ana is typing…", timeout=8000)
    agent_context.close()
    context.close()


def test_screenshot_of_the_demo_page_with_the_bot(browser, app_server):
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))
    from accounts.models import User

    admin = User.objects.get(username="ana")
    admin.set_password(PASSWORD)
    admin.save()
    page = browser.new_page(viewport={"width": 1280, "height": 820}, locale="pt-BR")
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/widget/demo/")
    chat = _open(page, page.url)
    chat.locator("#pc-name").fill("Marina")
    chat.locator("#pc-email").fill("marina@example.com")
    chat.locator("#prechat button[type=submit]").click()
    chat.locator("#text").fill("Olá! Quanto tempo leva a entrega?")
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg.from-bot .buttons button").first).to_have_text("Meu pedido", timeout=8000)
    chat.locator(".msg.from-bot .buttons button", has_text="Frete e entrega").click()
    expect(chat.locator(".msg.from-bot").last).to_contain_text("Frete grátis acima de R$ 150", timeout=8000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(settings.BASE_DIR / "docs/screenshots/widget.png"))
    conversation = Conversation.objects.get(channel__kind="web_widget")
    assert conversation.assignee is None  # still with the bot
    assert json.dumps([m.sender_type for m in conversation.messages.order_by("created_at")]) == json.dumps(
        ["contact", "bot", "contact", "bot"]
    )
    page.close()
