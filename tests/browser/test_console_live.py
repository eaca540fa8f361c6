"""The console in a real browser: live updates between agents, inbound messages, drafts,
language, and markup from customers staying inert."""

import json

import httpx
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts import services as account_services
from core import signing
from tests.browser.conftest import sign_in
from tests.conftest import make_api_channel
from tests.factories import receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-console-123"


@pytest.fixture
def team():
    channel = make_api_channel("Loja", sandbox=True)
    ana = account_services.user_create(
        username="ana", email="ana@example.com", password=PASSWORD, first_name="Ana", availability="online"
    )
    bruno = account_services.user_create(
        username="bruno", email="bruno@example.com", password=PASSWORD, first_name="Bruno", availability="online"
    )
    account_services.inbox_members_set(channel=channel, users=[ana, bruno])
    return channel, ana, bruno


def test_a_reply_by_one_agent_appears_live_for_another(browser, app_server, team):
    channel, ana, bruno = team
    conversation = receive(channel, sender_id="maria", text="Cadê meu pedido?", name="Maria").conversation
    contexts = [browser.new_context(), browser.new_context()]
    ana_page, bruno_page = (context.new_page() for context in contexts)
    sign_in(ana_page, app_server, "ana", PASSWORD)
    sign_in(bruno_page, app_server, "bruno", PASSWORD)
    for page in (ana_page, bruno_page):
        page.goto(f"{app_server}/conversations/{conversation.uuid}/")
        expect(page.locator("#timeline")).to_contain_text("Cadê meu pedido?")

    ana_page.locator("#composer-text").press_sequentially("Já estou verificando, Maria!", delay=20)
    expect(bruno_page.locator("#typing")).to_have_text("Ana is typing…", timeout=8000)
    ana_page.keyboard.press("Enter")

    expect(bruno_page.locator("#timeline")).to_contain_text("Já estou verificando, Maria!", timeout=8000)
    # Gone with the message, not 4 seconds later.
    expect(bruno_page.locator("#typing")).to_have_text("", timeout=1500)
    expect(ana_page.locator("#timeline .msg.out")).to_have_count(1)  # the live event did not duplicate it
    expect(ana_page.locator("#composer-text")).to_have_value("")
    for context in contexts:
        context.close()


def test_an_inbound_webhook_appears_live_in_the_list_with_an_unread_badge(page, app_server, team):
    channel, ana, _ = team
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")
    expect(page.locator("#conversation-list")).to_contain_text("No conversations here.")

    body = json.dumps(
        {"id": "live-1", "from": {"id": "c-77", "name": "Joana Prado"}, "text": "Vocês abrem sábado?"}
    ).encode()
    secret = channel.credentials["secret"]
    response = httpx.post(
        f"{app_server}/webhooks/api/{channel.uuid}/",
        content=body,
        headers={
            "X-Signature-256": "sha256=" + signing.hmac_sha256_hex(secret, body),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200

    row = page.locator(".row", has_text="Joana Prado")
    expect(row).to_be_visible(timeout=8000)
    expect(row).to_contain_text("Vocês abrem sábado?")
    expect(row.locator(".badge")).to_have_text("1")
    expect(page).to_have_title("(1) Inbox · Helpdesk", timeout=8000)


def test_the_composer_keeps_a_draft_across_reload(page, app_server, team):
    channel, _, _ = team
    conversation = receive(channel, sender_id="d", name="Davi").conversation
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/conversations/{conversation.uuid}/")

    page.fill("#composer-text", "Rascunho que não pode sumir")
    page.reload()

    expect(page.locator("#composer-text")).to_have_value("Rascunho que não pode sumir")


def test_switching_to_portuguese_shows_portuguese_text(page, app_server, team):
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/")
    expect(page.locator(".rail")).to_contain_text("Inbox")

    page.click(".account summary")  # the account menu holds availability, language, profile
    page.select_option("#language", "pt-br")

    expect(page.locator(".rail")).to_contain_text("Caixa de entrada")
    expect(page.locator(".views")).to_contain_text("Minhas")
    expect(page.locator(".views")).to_contain_text("Não atribuídas")


def test_markup_from_customers_never_runs(page, app_server, team):
    channel, _, _ = team
    conversation = receive(
        channel, sender_id="x", text="<img src=x onerror=alert(1)>", name="<script>alert('name')</script>"
    ).conversation
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, app_server, "ana", PASSWORD)

    page.goto(f"{app_server}/conversations/{conversation.uuid}/")

    expect(page.locator("#timeline")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(page.locator(".conv-header h1")).to_have_text("<script>alert('name')</script>")
    page.wait_for_timeout(500)
    assert dialogs == []


def test_screenshots_of_the_inbox_and_a_conversation(browser, app_server, team):
    from django.conf import settings

    call_command("load_demo", stdout=open("/dev/null", "w"))
    from accounts.models import User

    User.objects.filter(username="ana").update(first_name="Ana", last_name="Souza")
    page = browser.new_page(viewport={"width": 1440, "height": 860})
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")
    expect(page.locator(".row").first).to_be_visible()
    page.screenshot(path=str(settings.BASE_DIR / "docs/screenshots/inbox.png"))
    page.locator(".row", has_text="João Pereira").click()
    expect(page.locator("#timeline")).to_contain_text("Niterói")
    page.wait_for_timeout(300)
    page.screenshot(path=str(settings.BASE_DIR / "docs/screenshots/conversation.png"))
    page.close()
