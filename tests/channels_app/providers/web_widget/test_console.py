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


def _field_error(page: str, field: str) -> str:
    """The text of the error shown under a field of the settings form ("" if none)."""
    import re

    match = re.search(rf'<div class="error" id="id_{field}_error">(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def test_the_time_zone_is_a_select_of_real_zones_with_sao_paulo_first(admin_client):
    page = admin_client.get("/settings/channels/new/web_widget/").content.decode()

    select = page[page.index('<select name="time_zone"') : page.index("</select>", page.index('name="time_zone"'))]
    options = select.split("<option")[1:]
    assert 'value="America/Sao_Paulo" selected' in options[0]
    assert 'value="Europe/Lisbon"' in select and 'value="America/Manaus"' in select
    assert "Mars" not in select


def test_an_unknown_time_zone_is_refused_under_the_time_zone_field(admin_client):
    page = admin_client.post(
        "/settings/channels/new/web_widget/",
        widget_settings(name="Site", time_zone="Mars/Olympus", office_hours="seg-sex 09:00-18:00"),
    ).content.decode()

    assert _field_error(page, "time_zone") == "Unknown time zone Mars/Olympus."
    assert _field_error(page, "office_hours") == ""
    assert not Channel.objects.exists()


def test_a_widget_keeps_the_time_zone_it_was_saved_with(admin_client):
    widget = make_widget(time_zone="America/Manaus")
    widget.settings = {**widget.settings, "time_zone": "Brazil/West"}  # an alias some older setup stored
    widget.save()

    page = admin_client.get(f"/settings/channels/{widget.uuid}/").content.decode()
    assert 'value="Brazil/West" selected' in page

    saved = admin_client.post(
        f"/settings/channels/{widget.uuid}/", {**widget_settings(time_zone="Brazil/West"), "section": "setup"}
    )
    assert saved.status_code == 302
    widget.refresh_from_db()
    assert widget.settings["time_zone"] == "Brazil/West"


def test_a_zone_stored_before_that_this_server_does_not_list_is_still_offered(db, monkeypatch):
    from channels_app.providers.web_widget import forms as widget_forms

    widget = make_widget(time_zone="America/Recife")
    monkeypatch.setattr(widget_forms, "_zone_names", lambda: ("America/Sao_Paulo", "Europe/Lisbon"))

    form = WebWidgetForm(data=widget_settings(time_zone="America/Recife"), channel=widget)
    assert form.is_valid(), form.errors
    assert form.fields["time_zone"].choices[0][0] == "America/Recife"
    assert not WebWidgetForm(data=widget_settings(time_zone="America/Recife")).is_valid()  # new widgets: listed only


@pytest.mark.parametrize(
    "hours",
    [
        "mon-fri 09:00-18:00\nsáb 09:00-13:00",
        "segunda a sexta 09:00-18:00",
        "Segunda-feira a Sexta-feira 09:00-12:00 13:00-18:00",
        "SEGUNDA-FEIRA, terça, terca, Quarta-feira 09:00-18:00",
        "quinta,sexta-feira 09:00-18:00\nsábado, sabado 09:00-13:00\ndomingo 10:00-12:00",
        "Monday-Friday 09:00-18:00\nsaturday 09:00-13:00\nSunday 10:00-12:00",
        "seg-sex 09:00 - 18:00\nsáb e dom 09:00-13:00",
    ],
)
def test_office_hours_take_day_names_short_or_in_full_in_portuguese_or_english(admin_client, hours):
    response = admin_client.post("/settings/channels/new/web_widget/", widget_settings(name="Site", office_hours=hours))

    assert response.status_code == 302, _field_error(response.content.decode(), "office_hours")
    assert Channel.objects.get().settings["office_hours"] == hours  # stored as typed


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("seg-sex 09:00-25:00", "Line 1: “25:00” in “09:00-25:00” is not a time of day"),
        ("segunda 99:00-10:00", "Line 1: “99:00” in “99:00-10:00” is not a time of day"),
        ("seg 09:00-18:00\nmon 08:75-09:00", "Line 2: “08:75” in “08:75-09:00” is not a time of day"),
        ("segundou 09:00-18:00", "Line 1: unknown day “segundou”."),
        ("sexta 18:00-09:00", "must end after it starts"),
    ],
)
def test_impossible_office_hours_are_refused_naming_the_bad_part(admin_client, hours, message):
    page = admin_client.post(
        "/settings/channels/new/web_widget/", widget_settings(name="Site", office_hours=hours)
    ).content.decode()

    assert message in _field_error(page, "office_hours")
    assert _field_error(page, "time_zone") == ""
    assert not Channel.objects.exists()


def test_the_office_hours_help_shows_a_short_and_a_long_example(admin_client):
    page = admin_client.get("/settings/channels/new/web_widget/").content.decode()

    assert "“seg-sex 09:00-18:00”" in page and "“segunda a sexta-feira 09:00-12:00 13:00-18:00”" in page
