"""The console as a person sees it in a real browser: on a phone, with icons that need no emoji
font, menus that open and close from the keyboard, and questions before destructive actions."""

import pytest
from playwright.sync_api import expect

from conversations.models import Label
from tests.browser.conftest import shop_with_admin_ana, sign_in
from tests.factories import receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-layout-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def ana():
    return shop_with_admin_ana(PASSWORD)


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_list_and_the_conversation_take_turns(browser, app_server, ana):
    channel, _ = ana
    receive(channel, sender_id="maria", text="Cadê meu pedido?", name="Maria Souza")
    page = browser.new_page(viewport=PHONE)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")

    expect(page.locator(".row", has_text="Maria Souza")).to_be_visible()
    expect(page.locator("#conversation-pane")).to_be_hidden()
    assert _no_horizontal_scroll(page)

    page.locator(".row", has_text="Maria Souza").click()

    expect(page.locator("#timeline")).to_contain_text("Cadê meu pedido?")
    expect(page.locator(".list-pane")).to_be_hidden()
    expect(page.locator("#composer-text")).to_be_visible()
    assert _no_horizontal_scroll(page)
    rail = page.locator(".rail").bounding_box()
    assert rail["height"] <= 60  # a slim top bar, not a tall block above the list

    page.locator(".conv-header .back").click()

    expect(page.locator(".row", has_text="Maria Souza")).to_be_visible()
    page.close()


@pytest.mark.parametrize(
    "path", ["/contacts/", "/settings/channels/", "/settings/webhooks/", "/search/?q=oi", "/profile/"]
)
def test_pages_fit_a_phone_screen(browser, app_server, ana, path):
    page = browser.new_page(viewport=PHONE)
    sign_in(page, app_server, "ana", PASSWORD)

    page.goto(f"{app_server}{path}")

    assert _no_horizontal_scroll(page)
    page.close()


def test_rail_and_channel_icons_are_drawn_from_the_svg_sprite(browser, app_server, ana):
    channel, _ = ana
    receive(channel, sender_id="maria", text="Oi", name="Maria")
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")

    icon = page.locator(".rail .nav-item .icon").first
    box = icon.bounding_box()
    assert box["width"] >= 20 and box["height"] >= 20
    href = icon.locator("use").get_attribute("href")
    assert page.request.get(f"{app_server}{href.split('#')[0]}").ok
    # The sprite's symbol really drew something: the <use> has a non-empty box.
    assert page.evaluate("document.querySelector('.row .ch-icon use').getBBox().width") > 0
    # Accessible names come from text, not from the decorative icons.
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()
    expect(page.get_by_role("link", name="Contacts")).to_be_visible()
    page.close()


def test_the_account_menu_opens_changes_availability_and_closes_with_escape(browser, app_server, ana):
    _, user = ana
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/contacts/")

    page.locator(".account summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#availability")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#availability")).to_be_hidden()
    expect(page.locator(".account summary")).to_be_focused()

    page.locator(".account summary").click()
    page.select_option("#availability", "busy")

    expect(page.locator(".presence-busy")).to_have_count(1)  # the page came back, the dot is amber
    assert page.url.endswith("/contacts/")
    user.refresh_from_db()
    assert user.availability == "busy"
    page.close()


def test_deleting_a_label_asks_first_and_nothing_happens_when_the_agent_says_no(browser, app_server, ana):
    Label.objects.create(name="vip", color="#d92d20")
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/settings/labels/")
    questions = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_timeout(300)

    assert questions == ["Delete the label “vip”? It is removed from every conversation."]
    assert Label.objects.filter(name="vip").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()

    expect(page.locator(".flash")).to_contain_text("Label deleted.")
    assert not Label.objects.filter(name="vip").exists()
    page.close()


def test_snoozing_with_a_preset_and_seeing_a_refusal_beside_the_header(browser, app_server, ana):
    channel, _ = ana
    conversation = receive(channel, sender_id="maria", text="Oi", name="Maria").conversation
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/conversations/{conversation.uuid}/")

    page.locator("details.snooze summary").click()
    page.get_by_role("button", name="Snooze", exact=True).click()  # no time chosen
    expect(page.locator("#header-error")).to_contain_text("Choose until when to snooze.")
    expect(page.locator("#composer-error")).to_be_empty()

    page.get_by_role("button", name="Until tomorrow, 9:00").click()  # the popover stayed open

    expect(page.locator(".conv-header .status")).to_have_text("Snoozed")
    expect(page.locator("#header-error")).to_be_empty()
    page.close()


def test_scrolling_the_list_loads_the_next_page(browser, app_server, ana):
    channel, _ = ana
    for i in range(30):
        receive(channel, sender_id=f"c{i}", text=f"Pedido {i}", name=f"Cliente {i:02d}")
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")
    expect(page.locator(".row")).to_have_count(25)

    page.locator("#conversation-list").evaluate("list => list.scrollTop = list.scrollHeight")

    expect(page.locator(".row")).to_have_count(30)
    expect(page.locator(".more")).to_have_count(0)
    page.close()
