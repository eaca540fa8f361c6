"""Files both ways, checked by their bytes (never the name or the declared type), within the
widget's size and type limits."""

import pytest

from channels_app.models import InboundEvent
from channels_app.providers.web_widget import services
from channels_app.providers.web_widget.models import VisitorUpload
from conversations.models import Conversation, Message
from tests.factories import reply

from .conftest import HTML, PNG, Visitor, drain, make_widget

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


def test_an_image_is_recognised_by_its_bytes_whatever_its_name(visitor):
    response = visitor.upload("foto.txt", PNG, "text/plain")

    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("foto.png", HTML, "image/png"),
        ("logo.svg", SVG, "image/svg+xml"),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 64, ""),
    ],
)
def test_files_that_are_not_what_they_claim_or_not_accepted_are_refused(visitor, name, data, declared):
    response = visitor.upload(name, data, declared)

    assert response.status_code == 422
    assert "not accepted" in response.json()["error"]["message"]
    assert VisitorUpload.objects.count() == 0


def test_a_file_over_the_widgets_limit_is_refused(visitor):
    response = visitor.upload("big.png", PNG + b"\x00" * (2 * 1024 * 1024), "image/png")

    assert response.status_code == 413
    assert "2.1 MB" in response.json()["error"]["message"]


def test_an_images_only_widget_refuses_documents_and_a_no_files_widget_refuses_all(db):
    images = Visitor(make_widget(uploads="images"))
    images.start()
    none = Visitor(make_widget(uploads="off"))
    none.start()

    assert images.upload("contrato.pdf", PDF, "application/pdf").status_code == 422
    assert images.upload("a.png", PNG, "image/png").status_code == 201
    assert none.upload("a.png", PNG, "image/png").status_code == 422


def test_a_visitors_image_reaches_the_conversation_as_an_attachment(visitor):
    upload_id = visitor.upload("comprovante.png", PNG, "image/png").json()["id"]

    assert visitor.send("", uploads=[upload_id]).status_code == 202
    drain()

    message = Message.objects.get()
    attachment = message.attachments.get()
    assert (message.content_type, attachment.content_type, attachment.name) == ("image", "image/png", "comprovante.png")
    with attachment.file.open("rb") as handle:
        assert handle.read() == PNG
    shown = visitor.history().json()["messages"][0]["attachments"][0]
    assert shown["content_type"] == "image/png"
    assert visitor.client.get(shown["url"]).getvalue() == PNG


def test_an_agents_image_reaches_the_visitor_with_a_working_link(visitor, agent):
    from conversations.attachments import prepare_file

    visitor.send("manda a foto?")
    drain()
    reply(
        Conversation.objects.get(),
        agent,
        text="Aqui está",
        files=(prepare_file(name="produto.png", data=PNG, declared_type="image/png"),),
    )
    drain()

    message = visitor.history().json()["messages"][-1]
    assert message["from"] == "agent" and message["attachments"][0]["name"] == "produto.png"
    download = visitor.client.get(message["attachments"][0]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"


def test_an_upload_that_expired_before_its_message_was_processed_is_named_not_lost(visitor):
    upload_id = visitor.upload("a.png", PNG, "image/png").json()["id"]
    visitor.send("segue", uploads=[upload_id])
    VisitorUpload.objects.all().delete()

    drain()

    message = Message.objects.get()
    assert message.attachments.count() == 0
    assert message.payload["missing_attachments"][0]["name"] == "a.png"
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


def test_old_uploads_are_pruned(visitor):
    from datetime import timedelta

    from django.utils import timezone

    visitor.upload("a.png", PNG, "image/png")
    VisitorUpload.objects.update(created_at=timezone.now() - timedelta(days=3))
    visitor.upload("b.png", PNG, "image/png")

    assert services.uploads_prune() == 1
    assert list(VisitorUpload.objects.values_list("name", flat=True)) == ["b.png"]
