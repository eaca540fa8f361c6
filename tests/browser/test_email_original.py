"""An e-mail in the console: the reply without its quoted history in the timeline, and the
original one click away, rendered in a sandbox where the sender's markup stays inert."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from channels_app import services as channel_services
from tests.browser.conftest import sign_in
from tests.channels_app.providers.email.conftest import fixture_bytes, make_email_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-console-123"


def receive_mail(channel, name: str, dedupe: str):
    channel_services.inbound_event_record(
        channel=channel,
        kind="email",
        endpoint=f"mailbox:{channel.uuid}",
        dedupe_key=dedupe,
        body=fixture_bytes(name),
        headers={},
    )
    channel_services.inbound_drain()


def test_an_agent_reads_an_html_mail_and_opens_its_original(page, app_server, tmp_path):
    channel = make_email_channel()
    ana = account_services.user_create(username="ana", email="ana@example.com", password=PASSWORD, first_name="Ana")
    account_services.inbox_members_set(channel=channel, users=[ana])
    receive_mail(channel, "html_only_inline_image.eml", "mid:html-inline-1@lojabela.com.br")
    receive_mail(channel, "reply_quoted_portuguese.eml", "mid:CAF=pt-reply-1@mail.example.com.br")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, app_server, "ana", PASSWORD)

    page.goto(f"{app_server}/inbox/?view=all")
    page.locator("#conversation-list").get_by_text("Maria Conceição Silva").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("ainda não recebi")
    expect(timeline).not_to_contain_text("Oi Maria, seu pedido saiu")  # the quote is hidden...
    page.screenshot(path=str(tmp_path / "email-conversation.png"))
    timeline.get_by_role("link", name="Show the original mail").click()
    expect(page.locator("pre.mail-text")).to_contain_text("Oi Maria, seu pedido saiu")  # ...one click away

    page.goto(f"{app_server}/inbox/?view=all")
    page.locator("#conversation-list").get_by_text("Loja Bela").click()
    page.locator("#timeline").get_by_role("link", name="Show the original mail").click()
    frame = page.frame_locator("iframe.mail-original")
    expect(frame.locator("p").first).to_have_text("Veja a foto do defeito:")
    image = frame.locator("img")
    expect(image).to_have_attribute("src", re.compile(r"^/attachments/"))
    page.wait_for_timeout(300)
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1  # the inline cid: image loads
    frame.locator("p").first.click()  # its onclick handler was stripped; nothing runs
    page.screenshot(path=str(tmp_path / "email-original.png"), full_page=True)
    assert dialogs == []
