"""Setting a widget up in the console, the demo page, and the loader's size budget."""

import gzip
import json

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as account_services
from accounts.models import User
from channels_app.models import Channel
from channels_app.providers.web_widget.forms import WebWidgetForm

from .conftest import FLOW, HTML, PNG, make_widget, widget_settings

LOADER_BUDGET_GZIPPED = 15 * 1024


@pytest.fixture
def admin_client(client, db):
    admin = account_services.user_create(
        username="olga", email="olga@example.com", password="pw-olga-123", role=User.Role.ADMIN
    )
    client.force_login(admin)
    return client


def test_an_admin_creates_a_widget_and_gets_the_snippet_a_preview_and_the_demo_link(admin_client):
    data = widget_settings(name="Site", bot_enabled="on", bot_flow=json.dumps(FLOW), identity_secret="x" * 32)
    created = admin_client.post("/settings/channels/new/web_widget/", data)

    channel = Channel.objects.get(kind="web_widget")
    assert created.status_code == 302 and created["Location"] == f"/settings/channels/{channel.uuid}/"
    assert channel.credentials == {"identity_secret": "x" * 32}
    assert "identity_secret" not in channel.settings
    assert json.loads(channel.settings["bot_flow"])["start"]["text"] == FLOW["start"]["text"]
    page = admin_client.get(f"/settings/channels/{channel.uuid}/").content.decode()
    assert f'/widget.js" data-widget="{channel.uuid}" async&gt;' in page
    assert f'/widget/{channel.uuid}/frame/?preview=1"' in page
    assert f'/widget/{channel.uuid}/demo/"' in page
    assert "x" * 32 not in page and "••••xxxx" in page  # write-only, masked


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("allowed_domains", "shop example com/x", "is not a domain"),
        ("allowed_domains", "", "This field is required"),
        ("bot_flow", "{not json", "not valid JSON"),
        ("bot_flow", json.dumps({"start": {"text": "x", "buttons": [{"label": "a", "goto": "b"}]}}), "not a node"),
        ("bot_faq", "price R$ 49", "Line 1"),
        ("office_hours", "mon-fri 9h-18h", "Line 1"),
        ("time_zone", "Mars/Olympus", "Unknown time zone"),
        ("prechat_custom", "Company\ncompany", "distinct"),
        ("color", "blue", "#2f6feb"),
    ],
)
def test_the_setup_form_says_what_is_wrong(db, field, value, message):
    form = WebWidgetForm(data=widget_settings(**{field: value}))
    assert not form.is_valid()
    assert message in " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_requiring_verified_users_needs_a_secret(db):
    form = WebWidgetForm(data=widget_settings(require_verified="on"))
    assert not form.is_valid()
    assert "identity_secret" in form.errors


def test_a_logo_is_checked_by_content_and_served_by_us(client, db):
    fake = WebWidgetForm(data=widget_settings(), files={"logo": SimpleUploadedFile("logo.png", HTML, "image/png")})
    assert not fake.is_valid() and "logo" in fake.errors

    form = WebWidgetForm(data=widget_settings(), files={"logo": SimpleUploadedFile("logo.txt", PNG, "text/plain")})
    assert form.is_valid(), form.errors
    channel = Channel.objects.create(kind="web_widget", name="x", settings=form.settings_data())
    frame = client.get(f"/widget/{channel.uuid}/frame/", {"origin": "https://shop.example.com"}).content.decode()
    logo_url = f"/widget/{channel.uuid}/logo?v="
    assert logo_url in frame
    served = client.get(f"/widget/{channel.uuid}/logo")
    assert served["Content-Type"] == "image/png" and served.content == PNG

    kept = WebWidgetForm(data=widget_settings(color="#000000"), channel=channel)
    assert kept.is_valid() and kept.settings_data()["logo"] == channel.settings["logo"]
    removed = WebWidgetForm(data=widget_settings(remove_logo="on"), channel=channel)
    assert removed.is_valid() and "logo" not in removed.settings_data()


def test_the_demo_page_is_for_the_widgets_agents(client, db):
    widget = make_widget()
    member = account_services.user_create(username="ana", email="ana@example.com", password="pw-ana-123")
    stranger = account_services.user_create(username="eve", email="eve@example.com", password="pw-eve-123")
    account_services.inbox_member_add(channel=widget, user=member)

    assert client.get(f"/widget/{widget.uuid}/demo/").status_code == 302  # sign in first
    client.force_login(stranger)
    assert client.get(f"/widget/{widget.uuid}/demo/").status_code == 404
    assert client.get("/widget/demo/").status_code == 404
    client.force_login(member)
    assert client.get("/widget/demo/")["Location"] == f"/widget/{widget.uuid}/demo/"
    page = client.get(f"/widget/{widget.uuid}/demo/").content.decode()
    assert f'src="http://testserver/widget.js" data-widget="{widget.uuid}"' in page


def test_load_demo_creates_a_working_widget_once(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))

    widget = Channel.objects.get(kind="web_widget")
    assert widget.settings["bot_enabled"] and widget.memberships.count() >= 3
    assert json.loads(widget.settings["bot_flow"])["start"]["buttons"][0]["label"] == "Meu pedido"


def test_the_loader_is_served_small_and_cacheable(client):
    response = client.get("/widget.js", HTTP_ACCEPT_ENCODING="gzip")
    raw = open(finders.find("widget/loader.js"), "rb").read()

    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert response["Content-Encoding"] == "gzip" and gzip.decompress(response.content) == raw
    assert "max-age" in response["Cache-Control"]
    size = len(gzip.compress(raw, compresslevel=9))
    print(f"\nweb widget loader: {len(raw)} bytes, {size} bytes gzipped (budget {LOADER_BUDGET_GZIPPED})")
    assert size < LOADER_BUDGET_GZIPPED


def test_the_console_marks_the_bots_messages_and_shows_the_buttons_it_offered(admin_client):
    from conversations.models import Conversation

    from .conftest import Visitor, drain

    widget = make_widget(bot_enabled="on", bot_flow=json.dumps(FLOW))
    visitor = Visitor(widget)
    visitor.start()
    visitor.send("Olá")
    drain()
    conversation = Conversation.objects.get()

    page = admin_client.get(f"/conversations/{conversation.uuid}/").content.decode()

    assert 'class="msg out sender-bot status-sent"' in page
    assert '#bot"></use></svg> Bot' in page  # the bot's icon (an SVG, not an emoji) and its name
    assert '<span class="chip">Orders</span><span class="chip">Talk to a person</span>' in page
