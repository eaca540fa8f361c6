"""The inbox as a reviewer found it: the view and filters in the address (reload, back and
bookmarks keep them), a composer refusal that goes away once something succeeds, and a label
picker whose long names stay on screen and clickable."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation, Label
from tests.browser.conftest import shop_with_admin_ana, sign_in
from tests.factories import receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-inbox-ux-123"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}
LONG_LABEL = "ClienteAguardandoReembolsoDoPedidoCanceladoHaDias1"  # 50 characters, no space to break at


@pytest.fixture
def ana():
    return shop_with_admin_ana(PASSWORD)


def _chosen(page):
    return page.locator("input[name=view]:checked").get_attribute("value"), page.locator("#f-status").input_value()


def test_the_view_and_status_stay_in_the_address_across_reload_back_and_forward(browser, app_server, ana):
    channel, _ = ana
    open_one = receive(channel, sender_id="maria", text="Oi", name="Maria Aberta").conversation
    resolved = receive(channel, sender_id="joao", text="Obrigado", name="João Resolvido").conversation
    Conversation.objects.filter(pk=resolved.pk).update(status=Conversation.Status.RESOLVED)
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/")
    assert _chosen(page) == ("mine", "open")

    page.locator("label.seg", has_text="All").click()
    expect(page).to_have_url(f"{app_server}/inbox/?view=all&status=open")
    expect(page.locator(".row", has_text="Maria Aberta")).to_be_visible()
    page.select_option("#f-status", "resolved")

    expect(page).to_have_url(f"{app_server}/inbox/?view=all&status=resolved")
    expect(page.locator(".row", has_text="João Resolvido")).to_be_visible()
    expect(page.locator(".row")).to_have_count(1)

    page.reload()

    expect(page.locator(".row", has_text="João Resolvido")).to_be_visible()
    expect(page.locator(".row")).to_have_count(1)
    assert _chosen(page) == ("all", "resolved")

    # Opening a conversation still gives it its own address; back returns to the filtered list.
    page.locator(".row", has_text="João Resolvido").click()
    expect(page.locator("#timeline")).to_contain_text("Obrigado")
    assert re.search(rf"/conversations/{resolved.uuid}/\?view=all&status=resolved$", page.url)
    page.go_back()
    expect(page).to_have_url(f"{app_server}/inbox/?view=all&status=resolved")
    expect(page.locator(".row", has_text="João Resolvido")).to_be_visible()
    assert _chosen(page) == ("all", "resolved")

    # Back through the filters: each step shows its list with the controls that made it.
    page.go_back()
    expect(page).to_have_url(f"{app_server}/inbox/?view=all&status=open")
    expect(page.locator(".row", has_text="Maria Aberta")).to_be_visible()
    assert _chosen(page) == ("all", "open")
    page.go_forward()
    expect(page).to_have_url(f"{app_server}/inbox/?view=all&status=resolved")
    expect(page.locator(".row", has_text="João Resolvido")).to_be_visible()
    assert _chosen(page) == ("all", "resolved")
    assert open_one.uuid != resolved.uuid
    page.close()


def test_one_conversation_after_another_opens_from_the_list(browser, app_server, ana):
    channel, _ = ana
    names = ["Ana Um", "Bia Dois", "Caio Três"]
    for n, name in enumerate(names):
        receive(channel, sender_id=f"c{n}", text=f"Mensagem de {name}", name=name)
    page = browser.new_page(viewport=DESKTOP)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/inbox/?view=all")

    for name in [*names, names[0]]:
        page.locator(".row", has_text=name).click()
        expect(page.locator("#timeline")).to_contain_text(f"Mensagem de {name}")
        expect(page.locator("#conversation-pane")).to_have_count(1)
    assert not [e for e in errors if "targetError" in e]

    # And by keyboard: arrows move along the rows, Enter opens one.
    rows = page.locator("#conversation-list .row > a")
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(rows.nth(1)).to_be_focused()
    second = page.locator("#conversation-list .row").nth(1).locator(".name").inner_text()
    page.keyboard.press("Enter")
    expect(page.locator("#timeline")).to_contain_text(f"Mensagem de {second}")
    page.close()


def test_a_composer_refusal_goes_away_after_the_next_action_that_succeeds(browser, app_server, ana):
    channel, _ = ana
    conversation = receive(channel, sender_id="maria", text="Oi", name="Maria").conversation
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/conversations/{conversation.uuid}/")
    error = page.locator("#composer-error")
    send = page.locator("#composer button[type=submit]")

    send.click()  # nothing written, nothing attached
    expect(error).to_contain_text("Write a message or attach a file.")
    page.locator("details.snooze summary").click()
    page.get_by_role("button", name="For 1 hour").click()
    expect(page.locator(".conv-header .status")).to_have_text("Snoozed")
    expect(error).to_be_empty()

    send.click()
    expect(error).to_contain_text("Write a message or attach a file.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".conv-header .status")).to_have_text("Resolved")
    expect(error).to_be_empty()

    send.click()
    expect(error).to_contain_text("Write a message or attach a file.")
    page.fill("#composer-text", "Já está a caminho!")
    send.click()
    expect(page.locator("#timeline")).to_contain_text("Já está a caminho!")
    expect(error).to_be_empty()
    page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x768", "375"])
def test_a_long_label_name_wraps_and_its_checkbox_can_be_clicked(browser, app_server, ana, viewport):
    channel, _ = ana
    assert len(LONG_LABEL) == 50
    Label.objects.create(name=LONG_LABEL, color="#d92d20")
    Label.objects.create(name="vip", color="#2e90fa")
    conversation = receive(channel, sender_id="maria", text="Oi", name="Maria").conversation
    page = browser.new_page(viewport=viewport)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/conversations/{conversation.uuid}/")

    page.locator("details.label-picker summary").click()
    popover = page.locator("details.label-picker .popover")
    expect(popover).to_be_visible()
    box = popover.bounding_box()
    rail = page.locator(".rail").bounding_box()
    left_limit = rail["x"] + rail["width"] if rail["height"] > rail["width"] else 0
    assert box["x"] >= left_limit, (box, rail)  # never under the nav rail
    assert box["x"] + box["width"] <= viewport["width"]
    assert box["width"] <= 320
    checkbox = page.get_by_role("checkbox", name=LONG_LABEL)
    # A real click at the checkbox's centre: it fails if anything (the rail) covers it.
    checkbox.click()
    expect(checkbox).to_be_checked()
    page.get_by_role("button", name="Apply").click()

    expect(page.locator(".conv-header .labels")).to_contain_text(LONG_LABEL)
    assert list(conversation.labels.values_list("name", flat=True)) == [LONG_LABEL]
    page.close()


def test_the_label_picker_opens_clear_of_the_rail_wherever_the_header_puts_its_button(browser, app_server, ana):
    channel, _ = ana
    Label.objects.create(name=LONG_LABEL, color="#d92d20")
    conversation = receive(channel, sender_id="maria", text="Oi", name="Maria").conversation
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, app_server, "ana", PASSWORD)
    page.goto(f"{app_server}/conversations/{conversation.uuid}/")
    # The button right beside the rail (a header laid out differently: other actions, other
    # languages): a popover opening leftwards from it would go under the rail.
    page.add_style_tag(content="details.label-picker { position: fixed; left: 100px; top: 300px; }")

    page.locator("details.label-picker summary").click()

    box = page.locator("details.label-picker .popover").bounding_box()
    rail = page.locator(".rail").bounding_box()
    assert box["x"] >= rail["x"] + rail["width"]
    assert box["x"] + box["width"] <= DESKTOP["width"]
    checkbox = page.get_by_role("checkbox", name=LONG_LABEL)
    checkbox.click()
    expect(checkbox).to_be_checked()
    page.close()
