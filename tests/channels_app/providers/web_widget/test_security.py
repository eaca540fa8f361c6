"""Who may use a widget, from where: allowed sites, our own origin only, visitor tokens that open
only their own conversations, verified identities, rate limits."""

import json

import pytest

from channels_app.models import InboundEvent
from channels_app.providers.web_widget import security
from channels_app.providers.web_widget.models import VisitorUpload
from contacts.models import Contact
from conversations.models import Conversation, Message
from tests.factories import reply

from .conftest import PNG, SITE, Visitor, drain, make_widget

SECRET = "s3cr3t-identity-key-0123456789"


# --- sites -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sites", "origin", "allowed"),
    [
        ("shop.example.com", "https://shop.example.com", True),
        ("shop.example.com", "http://shop.example.com:8080", True),
        ("shop.example.com", "https://evil-shop.example.com", False),
        ("shop.example.com", "https://shop.example.com.evil.net", False),
        ("*.example.com", "https://a.b.example.com", True),
        ("*.example.com", "https://example.com", False),
        ("localhost:3000", "http://localhost:3000", True),
        ("localhost:3000", "http://localhost:3001", False),
        ("https://shop.example.com", "http://shop.example.com", False),
        ("https://shop.example.com", "https://shop.example.com:443", True),
        ("*", "https://anything.example.net", True),
        ("shop.example.com", "null", False),
        ("shop.example.com", "https://shop.example.com/path", False),
    ],
)
def test_site_patterns(sites, origin, allowed):
    channel = type("C", (), {"settings": {"allowed_domains": sites}})()
    assert security.site_allowed(channel, origin, own={"http://testserver"}) is allowed


@pytest.mark.parametrize("bad", ["exa mple.com/x", "http://", "-bad.com", "shop.example.com:99999", "ftp://x.com"])
def test_bad_site_entries_are_refused(bad):
    with pytest.raises(security.InvalidDomain):
        security.parse_sites(bad)


def test_the_frame_is_served_only_for_allowed_sites_and_only_inside_them(client, widget):
    allowed = client.get(f"/widget/{widget.uuid}/frame/", {"origin": SITE})
    refused = client.get(f"/widget/{widget.uuid}/frame/", {"origin": "https://evil.example.net"})
    own = client.get(f"/widget/{widget.uuid}/frame/", {"origin": "http://testserver"})
    preview = client.get(f"/widget/{widget.uuid}/frame/", {"preview": "1"})

    assert allowed.status_code == 200
    assert "frame-ancestors https://shop.example.com" in allowed["Content-Security-Policy"]
    assert "X-Frame-Options" not in allowed
    assert refused.status_code == 403 and "frame-ancestors 'none'" in refused["Content-Security-Policy"]
    assert own.status_code == 200  # the demo page and the preview live on our own origin
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    assert client.get("/widget/00000000-0000-0000-0000-000000000000/frame/", {"origin": SITE}).status_code == 404


def test_a_site_removed_from_the_list_loses_its_visitors(visitor, widget):
    widget.settings["allowed_domains"] = "other.example.com"
    widget.save()
    from channels_app.selectors import webhook_cache_clear

    webhook_cache_clear()

    assert visitor.send("still here?").status_code == 403
    assert visitor.start().status_code == 403
    assert InboundEvent.objects.count() == 0


# --- our own origin only -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "origin", ["https://shop.example.com", "https://evil.example.net", "http://testserver:8000", None]
)
def test_visitor_requests_from_any_other_origin_are_refused(visitor, origin):
    visitor.origin = origin

    assert visitor.send("from a foreign page").status_code == 403
    assert visitor.upload("a.png", PNG, "image/png").status_code == 403
    assert visitor.start().status_code == 403
    assert InboundEvent.objects.count() == 0 and VisitorUpload.objects.count() == 0


def test_a_cross_site_read_is_refused(visitor):
    response = visitor.client.get(
        "/widget/api/messages", HTTP_SEC_FETCH_SITE="cross-site", HTTP_X_VISITOR_TOKEN=visitor.token
    )
    assert response.status_code == 403


def test_a_forged_or_missing_token_is_401(visitor):
    visitor.token = visitor.token[:-3] + "abc"
    assert visitor.send("hi").status_code == 401
    visitor.token = None
    assert visitor.history().status_code == 401


def test_a_bad_ticket_is_refused(widget):
    visitor = Visitor(widget)
    body = {"ticket": "forged"}
    response = visitor.client.post(
        "/widget/api/session", json.dumps(body), content_type="application/json", HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_invalid"


# --- one visitor, one history ----------------------------------------------------------------------
def test_a_visitor_token_cannot_read_another_visitors_conversation(widget, agent):
    alice, bob = Visitor(widget), Visitor(widget)
    alice.start()
    bob.start()
    alice.send("meu CPF é 123.456.789-00")
    drain()
    answer = reply(Conversation.objects.get(), agent, text="Obrigada, Alice")
    drain()

    assert bob.texts() == []
    assert bob.history(before=str(answer.uuid)).json()["messages"] == []
    assert bob.receipts("read", [str(answer.uuid)]).json()["count"] == 0
    assert [t for _, t in alice.texts()] == ["meu CPF é 123.456.789-00", "Obrigada, Alice"]


def test_a_visitor_cannot_attach_another_visitors_upload(widget):
    alice, bob = Visitor(widget), Visitor(widget)
    alice.start()
    bob.start()
    upload_id = alice.upload("doc.png", PNG, "image/png").json()["id"]

    response = bob.send("look", uploads=[upload_id])

    assert response.status_code == 422
    assert InboundEvent.objects.count() == 0


def test_a_returning_visitor_keeps_their_history(widget):
    first = Visitor(widget)
    first.start()
    first.send("primeira visita")
    drain()

    again = Visitor(widget, token=first.token)  # the token the frame kept in local storage
    again.start()

    assert [m["text"] for m in again.last["messages"]] == ["primeira visita"]


# --- verified identity ----------------------------------------------------------------------------
def _identified(widget, user_id: str, *, hash_of: str | None = None, **profile):
    visitor = Visitor(
        widget, user={"id": user_id, "hash": security.identity_hash(SECRET, hash_of or user_id), **profile}
    )
    return visitor, visitor.start()


def test_a_verified_user_is_one_contact_and_one_history_on_every_device(db):
    widget = make_widget(identity_secret=SECRET)
    laptop, answer = _identified(widget, "user-42", name="Rita", email="rita@example.com")
    assert answer.status_code == 200 and answer.json()["verified"] is True
    assert answer.json()["prechat"] == []  # the site already knows who this is
    laptop.send("do notebook", profile={"name": "Rita", "email": "rita@example.com"})
    drain()

    phone, _ = _identified(widget, "user-42")
    phone.send("do celular")
    drain()

    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert (contact.name, contact.email) == ("Rita", "rita@example.com")
    assert contact.identities.get().address == f"{widget.uuid}:user:user-42"
    assert contact.identities.get().display_address == "user:user-42"  # as agents see it
    assert [t for _, t in phone.texts()] == ["do notebook", "do celular"]


def test_a_wrong_identity_signature_is_refused(db):
    widget = make_widget(identity_secret=SECRET)
    _visitor, answer = _identified(widget, "user-42", hash_of="user-43")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "identity_invalid"


def test_without_a_secret_an_identity_is_ignored_not_trusted(widget):
    visitor = Visitor(widget, user={"id": "user-42", "hash": "whatever"})
    answer = visitor.start()

    assert answer.status_code == 200 and answer.json()["verified"] is False
    assert security.token_read(visitor.token).external_id == ""


def test_when_verification_is_required_unverified_visitors_cannot_send_anything(db):
    widget = make_widget(identity_secret=SECRET, require_verified="on")
    anonymous = Visitor(widget)
    assert anonymous.start().json()["can_send"] is False

    assert anonymous.send("let me in").status_code == 403
    assert anonymous.upload("a.png", PNG, "image/png").status_code == 403
    assert anonymous.profile(name="Eve").status_code == 403
    drain()
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0

    verified, answer = _identified(widget, "user-7")
    assert answer.json()["can_send"] is True
    assert verified.send("hello").status_code == 202


def test_turning_verification_on_shuts_out_visitors_who_started_anonymously(visitor, widget):
    widget.settings["require_verified"] = True
    widget.credentials = {"identity_secret": SECRET}
    widget.save()
    from channels_app.selectors import webhook_cache_clear

    webhook_cache_clear()

    response = visitor.send("still anonymous")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_required"


# --- rate limits --------------------------------------------------------------------------------
def test_a_typing_signal_needs_a_flag_and_a_token(visitor):
    def typing(body):
        return visitor.client.post(
            "/widget/api/typing", json.dumps(body), content_type="application/json", **visitor.headers()
        )

    assert typing({"typing": True}).status_code == 202
    bad = typing({"typing": "yes"})
    assert bad.status_code == 400 and "true or false" in bad.json()["error"]["message"]
    visitor.token = None
    assert typing({"typing": False}).status_code == 401


def test_visitor_endpoints_are_rate_limited(visitor):
    from channels_app.providers.web_widget import views

    answers = [visitor.send(f"spam {n}").status_code for n in range(views.LIMITS["message"] + 2)]

    assert answers[: views.LIMITS["message"]] == [202] * views.LIMITS["message"]
    assert answers[-1] == 429
    limited = visitor.send("again")
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0


def test_the_webhook_url_cannot_be_used_to_inject_visitor_messages(client, widget):
    forged = {
        "type": "message",
        "visitor": {"key": "x", "address": f"{widget.uuid}:someone-else"},
        "client_id": "00000000-0000-0000-0000-000000000001",
        "text": "I am someone else",
    }
    response = client.post(f"/webhooks/web_widget/{widget.uuid}/", json.dumps(forged), content_type="application/json")

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0
