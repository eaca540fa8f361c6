"""What a demanding agent or admin notices in the console, through the Django test client:
e-mail subjects in the list, times in the agent's time zone, icons that need no emoji font,
markup that needs no inline script, errors beside the control that caused them, feedback after
every action, and navigation to every page."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import formats, timezone, translation

from conversations.models import CannedResponse, Conversation, Label
from tests.factories import conversation_with_customer, receive

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.fixture
def agent(client, personas):
    client.force_login(personas.agent_a)
    return personas.agent_a


@pytest.fixture
def admin(client, personas):
    client.force_login(personas.admin)
    return personas.admin


def test_an_email_conversation_shows_its_subject_in_the_list(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    Conversation.objects.filter(pk=conversation.pk).update(subject="Segunda via do boleto")

    page = client.get("/inbox/?view=all").content.decode()

    row = page[page.index(f'id="row-{conversation.uuid}"') :]
    assert '<span class="subject">Segunda via do boleto</span>' in row[: row.index("</li>")]


def test_list_times_are_in_the_agents_time_zone_and_older_days_show_the_date(client, personas, agent):
    recent = conversation_with_customer(personas.channel_a, sender_id="today")
    old = conversation_with_customer(personas.channel_a, sender_id="old")
    # 02:30 UTC on 10 January is still 9 January in São Paulo (UTC-3).
    Conversation.objects.filter(pk=old.pk).update(last_activity_at=datetime(2025, 1, 10, 2, 30, tzinfo=UTC))
    agent.time_zone = "America/Sao_Paulo"
    agent.save(update_fields=["time_zone"])

    page = client.get("/inbox/?view=all").content.decode()

    old_row = page[page.index(f'id="row-{old.uuid}"') :]
    assert re.search(r"<time [^>]*>01/09/2025</time>", old_row[: old_row.index("</li>")])
    now_here = timezone.localtime(recent.last_activity_at, zoneinfo.ZoneInfo("America/Sao_Paulo"))
    with translation.override("en"):
        time_there = formats.time_format(now_here, "TIME_FORMAT")  # e.g. "9:36 a.m.", "noon"
    recent_row = page[page.index(f'id="row-{recent.uuid}"') :]
    assert f">{time_there}</time>" in recent_row[: recent_row.index("</li>")]


def test_long_dates_in_portuguese_write_the_month_in_lower_case(client, personas, agent):
    from accounts import services as account_services

    old = conversation_with_customer(personas.channel_a, sender_id="old")
    Conversation.objects.filter(pk=old.pk).update(last_activity_at=datetime(2025, 11, 10, 15, 0, tzinfo=UTC))
    account_services.language_set(user=agent, language="pt-br")

    page = client.get("/inbox/?view=all").content.decode()

    assert re.search(r'title="10 de novembro de 2025 às \d\d:\d\d"', page)
    assert "Novembro" not in page


def test_timeline_times_of_earlier_days_carry_the_day(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    yesterday = timezone.now() - timedelta(days=1)
    conversation.messages.update(created_at=yesterday)

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    local = timezone.localtime(yesterday, zoneinfo.ZoneInfo(agent.time_zone))
    day = f"{local.day} {local.strftime('%b')}"
    assert re.search(rf'<time datetime="[^"]+" title="[^"]+">{day} ', page)


@pytest.mark.parametrize(
    "url",
    [
        "/inbox/?view=all",
        "CONVERSATION",
        "/contacts/",
        "/search/?q=oi",
        "/profile/",
        "/settings/channels/",
        "/settings/webhooks/",
        "/settings/api-keys/",
        "/settings/labels/",
        "/settings/canned/",
        "/accounts/login/",
    ],
)
def test_pages_use_svg_icons_and_no_inline_event_handlers(client, personas, url):
    conversation = receive(personas.channel_a, sender_id="x", text="Oi").conversation
    if url != "/accounts/login/":
        client.force_login(personas.admin)
    page = client.get(url.replace("CONVERSATION", f"/conversations/{conversation.uuid}/")).content.decode()

    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page).group(0)
    assert not EMOJI.search(page), EMOJI.search(page).group(0)
    assert '<svg class="icon' in page
    assert "lucide-icons-" in page


def test_the_icon_sprite_and_the_favicon_are_served(client):
    from conversations.templatetags.console import ICON_SPRITE

    sprite = b"".join(client.get(f"/static/{ICON_SPRITE}").streaming_content).decode()
    for name in ("inbox", "users", "search", "settings", "message-circle", "mail", "globe", "plug", "paperclip"):
        assert f'<symbol id="{name}"' in sprite
    assert client.get("/static/console/favicon.svg").status_code == 200


def test_channel_icons_are_decorative_and_the_channel_is_named_in_text(client, personas, agent):
    conversation_with_customer(personas.channel_a)

    page = client.get("/inbox/?view=all").content.decode()

    assert re.search(r'<svg class="icon ch-icon ch-api" aria-hidden="true" focusable="false">.*?</svg> Inbox A', page)


def test_a_refused_header_action_says_why_under_the_header_not_the_composer(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    response = client.post(f"/conversations/{conversation.uuid}/status/", {"status": "snoozed"}, **HX)

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#header-error"
    assert "Choose until when to snooze." in response.content.decode()
    header = client.get(f"/conversations/{conversation.uuid}/header/", **HX).content.decode()
    assert 'id="header-error"' in header and 'role="alert"' in header


def test_snooze_presets_snooze_until_tomorrow_morning_in_the_agents_time_zone(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)
    agent.time_zone = "America/Sao_Paulo"
    agent.save(update_fields=["time_zone"])

    response = client.post(f"/conversations/{conversation.uuid}/status/", {"snooze_for": "tomorrow"}, **HX)

    assert response.status_code == 200
    conversation.refresh_from_db()
    until = timezone.localtime(conversation.snoozed_until, zoneinfo.ZoneInfo("America/Sao_Paulo"))
    today_there = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("America/Sao_Paulo")).date()
    assert conversation.status == Conversation.Status.SNOOZED
    assert (until.date(), until.hour, until.minute) == (today_there + timedelta(days=1), 9, 0)
    assert "until" in response.content.decode()


def test_snooze_until_next_monday(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    client.post(f"/conversations/{conversation.uuid}/status/", {"snooze_for": "next_week"}, **HX)

    conversation.refresh_from_db()
    until = timezone.localtime(conversation.snoozed_until, zoneinfo.ZoneInfo(agent.time_zone))
    assert until.weekday() == 0 and until.hour == 9 and until > timezone.now()
    assert until - timezone.now() <= timedelta(days=7)


def test_the_header_labels_the_assignee_and_team_controls_and_links_back_and_to_the_contact(client, personas, agent):
    conversation = conversation_with_customer(personas.channel_a)

    page = client.get(f"/conversations/{conversation.uuid}/?view=all").content.decode()

    assert '<label for="assignee">Assignee</label>' in page
    assert '<label for="team">Team</label>' in page
    assert 'class="back" href="/inbox/?view=all' in page
    assert f'class="contact-link" href="/contacts/{conversation.contact.uuid}/"' in page
    assert 'class="inbox has-conversation"' in page


def test_a_sandbox_whatsapp_conversation_links_to_the_simulator_as_that_customer(client, personas, agent):
    from channels_app.models import Channel

    Channel.objects.filter(pk=personas.channel_a.pk).update(kind="whatsapp", settings={"sandbox": True})
    conversation = conversation_with_customer(personas.channel_a)
    conversation.contact.phone = "+5511987650001"
    conversation.contact.save(update_fields=["phone"])

    page = client.get(f"/conversations/{conversation.uuid}/").content.decode()

    assert f"/whatsapp/simulator/{personas.channel_a.uuid}/?from=%2B5511987650001" in page


def test_contacts_to_merge_are_found_by_name_among_those_the_agent_may_see(client, personas, agent):
    target = receive(personas.channel_a, sender_id="one", name="Ana B").conversation.contact
    twin = receive(personas.channel_a, sender_id="two", name="Ana Beatriz").conversation.contact
    hidden = receive(personas.channel_b, sender_id="three", name="Ana Bela").conversation.contact

    page = client.get(f"/contacts/{target.uuid}/?merge_q=Ana").content.decode()

    assert f'name="other" value="{twin.uuid}"' in page
    assert f'value="{hidden.uuid}"' not in page  # another inbox's contact: not even its name
    assert "Ana Bela" not in page
    assert f'name="other" value="{target.uuid}"' not in page
    assert "data-confirm=" in page


def test_deleting_a_canned_response_or_a_label_asks_first_and_says_it_is_done(client, personas, admin):
    canned = CannedResponse.objects.create(shortcut="pix", content="Aceitamos Pix")
    label = Label.objects.create(name="vip")

    assert 'data-confirm="Delete the canned response /pix?"' in client.get("/settings/canned/").content.decode()
    assert "data-confirm=" in client.get("/settings/labels/").content.decode()
    after_canned = client.post(f"/settings/canned/{canned.pk}/delete/", follow=True).content.decode()
    after_label = client.post(f"/settings/labels/{label.pk}/delete/", follow=True).content.decode()

    assert "Canned response deleted." in after_canned
    assert "Label deleted." in after_label


def test_revoking_an_api_key_and_deleting_a_webhook_ask_first(client, personas, admin):
    from accounts import services as account_services

    account_services.api_key_create(created_by=admin, name="CRM", user=admin)

    assert "Revoke the key “CRM”?" in client.get("/settings/api-keys/").content.decode()


def test_settings_link_to_the_api_documentation_and_the_widget_demo_page(client, personas, admin):
    from tests.channels_app.providers.web_widget.conftest import make_widget

    widget = make_widget()

    channels = client.get("/settings/channels/").content.decode()

    assert 'href="/api/v1/docs/"' in channels
    assert f'href="/widget/{widget.uuid}/demo/"' in channels
    assert 'href="/api/v1/docs/"' in client.get("/settings/api-keys/").content.decode()
    assert 'href="/api/v1/docs/"' in client.get("/settings/webhooks/").content.decode()


def test_the_widget_snippet_instructions_name_the_closing_body_tag(client, personas, admin):
    from tests.channels_app.providers.web_widget.conftest import make_widget

    widget = make_widget()

    page = client.get(f"/settings/channels/{widget.uuid}/").content.decode()

    assert "Paste this just before <code>&lt;/body&gt;</code> on every page" in page


def test_form_help_and_errors_are_tied_to_their_inputs(client, personas, admin):
    page = client.post("/settings/webhooks/", {"url": "not a url"}).content.decode()

    described = re.search(r'<input[^>]+name="url"[^>]*aria-describedby="([^"]+)"', page).group(1).split()
    assert described == ["id_url_helptext", "id_url_error"]
    assert 'id="id_url_helptext"' in page and 'id="id_url_error"' in page
    assert re.search(r'<fieldset class="field[^"]*">\s*<legend>Events', page)
    # A summary at the top of the form, announced once, links to each field to fix.
    summary = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.S).group(1)
    assert "Some fields need your attention:" in summary and '<a href="#id_url">URL</a>' in summary


def test_the_account_menu_offers_availability_language_profile_and_sign_out(client, personas, agent):
    page = client.get("/inbox/").content.decode()

    menu = page[page.index('<details class="account') : page.index("</details>", page.index('<details class="account'))]
    for needle in ('id="availability"', 'id="language"', 'href="/profile/"', 'action="/accounts/logout/"'):
        assert needle in menu
    assert 'name="next" value="/inbox/"' in menu and "data-autosubmit" in menu
    assert 'aria-current="page"' in page[page.index('<nav class="rail"') : page.index('<details class="account')]


def test_changing_availability_from_the_menu_returns_to_the_same_page(client, personas, agent):
    response = client.post("/availability/", {"availability": "busy", "next": "/contacts/"})

    assert response.status_code == 302 and response["Location"] == "/contacts/"
    agent.refresh_from_db()
    assert agent.availability == "busy"


def test_search_without_words_explains_what_it_searches(client, personas, agent):
    page = client.get("/search/").content.decode()

    assert "Searches the messages (private notes included)" in page


def test_the_load_more_control_is_a_button_that_loads_when_it_scrolls_into_the_list(client, personas, agent):
    for i in range(26):
        receive(personas.channel_a, sender_id=f"many-{i}")

    page = client.get("/inbox/?view=all").content.decode()

    more = re.search(r'<li class="more">.*?</li>', page, re.S).group(0)
    assert "<button" in more and "Load more conversations" in more
    # The list scrolls inside its pane: `revealed` (window scrolling) never fires there.
    assert 'hx-trigger="click, intersect once root:#conversation-list"' in more


def test_an_empty_list_says_where_to_look(client, personas, agent):
    assert "Nothing is assigned to you right now" in client.get("/inbox/?view=mine").content.decode()
    assert "Other filters may show more." in client.get("/inbox/?view=all&status=resolved").content.decode()


def test_testing_a_sandbox_api_channel_without_a_callback_url_succeeds(client, personas, admin):
    from channels_app.models import Channel

    Channel.objects.filter(pk=personas.channel_a.pk).update(settings={"sandbox": True})

    row = client.get("/settings/channels/").content.decode().split(personas.channel_a.name, 1)[1].split("</tr>")[0]
    assert "Not checked yet" in row and "Connected" not in row  # nothing has proved it yet

    page = client.post(f"/settings/channels/{personas.channel_a.uuid}/check/", follow=True).content.decode()

    assert "Connection works. Sandbox: outgoing messages are accepted inside the product." in page
    personas.channel_a.refresh_from_db()
    assert personas.channel_a.status == "ok"
    row = client.get("/settings/channels/").content.decode().split(personas.channel_a.name, 1)[1].split("</tr>")[0]
    assert "Connected" in row


def test_testing_an_api_channel_without_a_callback_url_says_what_is_missing(client, personas, admin):
    from channels_app.models import Channel

    Channel.objects.filter(pk=personas.channel_a.pk).update(settings={})

    page = client.post(f"/settings/channels/{personas.channel_a.uuid}/check/", follow=True).content.decode()

    assert "Connection failed: No callback URL configured." in page


@pytest.mark.parametrize("colour", ["red", "#12345", "#gggggg", "2f6feb0", "#2f6fe"])
def test_a_label_colour_must_be_a_hex_colour(client, personas, admin, colour):
    response = client.post("/settings/labels/", {"name": "vip", "color": colour})

    assert response.status_code == 200 and not Label.objects.exists()
    assert "Use a colour like #2f6feb." in response.content.decode()
    assert response.context["form"].errors["color"]


def test_a_label_with_a_hex_colour_is_saved(client, personas, admin):
    response = client.post("/settings/labels/", {"name": "vip", "color": "#A1b2C3"})

    assert response.status_code == 302
    assert Label.objects.get().color == "#A1b2C3"


def test_the_language_an_agent_chose_follows_them_to_a_new_browser(client, personas):
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    User.objects.filter(pk=personas.agent_a.pk).update(language="pt-br")
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")  # another device, an English browser, no cookie

    signed_in = fresh.post(reverse(settings.LOGIN_URL), {"username": "ana", "password": "pw-ana-123"}, follow=True)

    page = signed_in.content.decode()
    assert '<html lang="pt-br"' in page
    assert "Minhas" in page or "Não atribuídas" in page
    assert fresh.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pt-br"


# --- Names that differ only in case -------------------------------------------------------------


def test_a_canned_shortcut_is_stored_lowercased_so_the_composer_finds_it(client, personas, admin):
    response = client.post("/settings/canned/", {"shortcut": "Oi", "content": "Olá! Como posso ajudar?"})

    assert response.status_code == 302
    assert CannedResponse.objects.get().shortcut == "oi"
    assert "/oi" in client.get("/settings/canned/").content.decode()


def test_a_canned_shortcut_another_response_has_in_any_case_is_refused_beside_the_field(client, personas, admin):
    CannedResponse.objects.create(shortcut="oi", content="Olá!")

    response = client.post("/settings/canned/", {"shortcut": "OI", "content": "Oi de novo"})

    page = response.content.decode()
    assert response.status_code == 200 and CannedResponse.objects.count() == 1
    assert response.context["form"].errors["shortcut"] == [
        "A canned response with this shortcut already exists (shortcuts ignore case)."
    ]
    assert 'id="id_shortcut_error"' in page and "shortcuts ignore case" in page


def test_editing_a_canned_response_may_change_the_case_of_its_own_shortcut(client, personas, admin):
    canned = CannedResponse.objects.create(shortcut="pix", content="Aceitamos Pix")

    response = client.post(f"/settings/canned/{canned.pk}/", {"shortcut": "PIX", "content": "Aceitamos Pix!"})

    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.shortcut, canned.content) == ("pix", "Aceitamos Pix!")


def test_a_canned_response_is_as_long_as_a_message_at_most_and_the_form_says_so(client, personas, admin):
    from conversations.forms import ComposerForm
    from conversations.models import MESSAGE_MAX_LENGTH

    page = client.get("/settings/canned/").content.decode()
    too_long = client.post("/settings/canned/", {"shortcut": "long", "content": "a" * (MESSAGE_MAX_LENGTH + 1)})
    longest = client.post("/settings/canned/", {"shortcut": "longest", "content": "a" * MESSAGE_MAX_LENGTH})

    assert ComposerForm().fields["content"].max_length == MESSAGE_MAX_LENGTH == 10_000
    assert 'maxlength="10000"' in page
    assert "WhatsApp allows 4,096 characters per message" in page
    assert too_long.status_code == 200
    assert "at most 10000 characters (it has 10001)" in too_long.context["form"].errors["content"][0]
    assert longest.status_code == 302
    assert list(CannedResponse.objects.values_list("shortcut", flat=True)) == ["longest"]


def test_a_label_name_another_label_has_in_any_case_is_refused_beside_the_field(client, personas, admin):
    Label.objects.create(name="vip")

    response = client.post("/settings/labels/", {"name": "VIP", "color": "#ff0000"})

    page = response.content.decode()
    assert response.status_code == 200 and Label.objects.count() == 1
    assert response.context["form"].errors["name"] == [
        "A label with this name already exists (names are compared ignoring case)."
    ]
    assert 'id="id_name_error"' in page and "names are compared ignoring case" in page


def test_a_label_may_change_the_case_of_its_own_name(client, personas, admin):
    label = Label.objects.create(name="vip")

    response = client.post(f"/settings/labels/{label.pk}/", {"name": "VIP", "color": "#ff0000"})

    assert response.status_code == 302
    label.refresh_from_db()
    assert label.name == "VIP"


def test_a_team_name_another_team_has_in_any_case_is_refused_beside_the_field(client, personas, admin):
    from accounts import services as account_services
    from accounts.models import Team

    account_services.team_create(name="Suporte")

    response = client.post("/settings/teams/new/", {"name": "suporte", "description": ""})

    page = response.content.decode()
    assert response.status_code == 200 and Team.objects.count() == 1
    assert response.context["form"].errors["name"] == [
        "A team with this name already exists (names are compared ignoring case)."
    ]
    assert 'id="id_name_error"' in page and "names are compared ignoring case" in page


def test_a_team_may_change_the_case_of_its_own_name(client, personas, admin):
    from accounts import services as account_services

    team = account_services.team_create(name="suporte")

    response = client.post(f"/settings/teams/{team.uuid}/", {"name": "Suporte", "description": ""})

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Suporte"


@pytest.mark.parametrize("kind", ["label", "team"])
def test_a_name_just_taken_by_someone_else_is_a_form_error(client, personas, admin, monkeypatch, kind):
    """Two admins save "VIP" and "vip" at once: both forms pass their checks, the database
    refuses the second; that admin sees why, not a server error."""
    from accounts import services as account_services
    from accounts.models import Team

    model = Label if kind == "label" else Team
    # The other admin's save lands after this form's own check has passed:
    monkeypatch.setattr(model, "clean", lambda self: None)
    monkeypatch.setattr(model, "validate_constraints", lambda self, exclude=None: None)
    if kind == "label":
        Label.objects.create(name="vip")
        response = client.post("/settings/labels/", {"name": "VIP", "color": "#ff0000"})
    else:
        account_services.team_create(name="suporte")
        response = client.post("/settings/teams/new/", {"name": "Suporte", "description": ""})

    assert response.status_code == 200
    assert "Someone else saved this name a moment ago" in response.content.decode()
    assert model.objects.count() == 1
