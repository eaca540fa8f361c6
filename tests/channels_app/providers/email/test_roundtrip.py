"""Customer mail → conversation → agent reply over SMTP → the customer's answer threads back,
against a real Dovecot and an SMTP capture server on loopback."""

from email.message import EmailMessage

import pytest
from django.utils import timezone

from accounts import services as account_services
from channels_app import services as channel_services
from channels_app.models import Channel
from channels_app.providers.email.models import Mailbox
from conversations import services as conversation_services
from conversations.attachments import prepare_file
from conversations.models import Conversation, Message
from monitoring.models import ApiCall
from tests.channels_app.providers.email.conftest import fixture_bytes, mailbox_channel
from tests.helpers import capture_events

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def poll_and_apply(channel: Channel) -> None:
    from channels_app.providers.email import services

    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()
    channel_services.inbound_drain()


def send_due() -> None:
    Message.objects.filter(status=Message.Status.QUEUED).update(next_attempt_at=timezone.now())
    channel_services.outbound_drain()


@pytest.fixture
def agent(db):
    return account_services.user_create(
        username="ana", email="ana@acme.test", password="pw-ana-123", first_name="Ana", last_name="Lima"
    )


def customer_mail(*, msg_id: str, subject: str, text: str, in_reply_to: str = "", references: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Maria Silva <maria@example.com.br>"
    msg["To"] = "Suporte <suporte@acme.test>"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg["Date"] = "Mon, 16 Nov 2026 10:00:00 -0300"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = references
    msg.set_content(text)
    return msg.as_bytes()


def reply(conversation, agent, text, **draft):
    return conversation_services.message_send(
        conversation=conversation, draft=conversation_services.Draft(content=text, **draft), sender=agent
    )


def test_fetch_reply_and_the_customers_answer_stay_in_one_conversation(account, smtp_server, agent):
    channel = mailbox_channel(account, smtp=smtp_server, display_name="Acme Suporte", signature="Equipe Acme")
    account.deliver(customer_mail(msg_id="first@example.com.br", subject="Pedido 1234", text="Cadê meu pedido?"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)
    assert conversation.subject == "Pedido 1234"

    sent = reply(conversation, agent, "Olá Maria!\n\nSeu pedido saiu hoje.")
    with capture_events() as seen:
        send_due()

    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT, sent.error_reason
    [captured] = smtp_server.received
    mail = captured.message
    assert captured.rcpt_tos == ["maria@example.com.br"]
    assert captured.mail_from == account.address
    assert captured.login == account.address  # signed in with the mailbox password
    assert mail["From"].addresses[0].display_name == "Ana Lima (Acme Suporte)"
    assert mail["From"].addresses[0].addr_spec == account.address
    assert str(mail["To"]) == "Maria Silva <maria@example.com.br>"
    assert str(mail["Subject"]) == "Re: Pedido 1234"
    assert mail["In-Reply-To"] == "<first@example.com.br>"
    assert mail["References"] == "<first@example.com.br>"
    assert mail["Message-ID"] == f"<{sent.provider_message_id}>"
    assert sent.provider_message_id == f"msg_{sent.uuid.hex}.c{conversation.uuid.hex}@acme.test"
    assert mail.get_content_type() == "multipart/alternative"
    assert (
        mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        == "Olá Maria!\n\nSeu pedido saiu hoje.\n\n-- \nEquipe Acme\n"
    )
    assert "<p>Olá Maria!</p><p>Seu pedido saiu hoje.</p>" in mail.get_body(("html",)).get_content()
    assert mail["Auto-Submitted"] is None  # a person wrote it
    assert [e.name for e in seen] == ["message.sent"]
    assert ApiCall.objects.filter(operation="smtp_send", status_code=250, reference=str(sent.uuid)).exists()

    # The customer answers from their mail client, quoting us.
    account.deliver(
        customer_mail(
            msg_id="second@example.com.br",
            subject="Re: Pedido 1234",
            text="Obrigada!\n\nEm seg., 16 de nov. de 2026 às 11:00, Acme Suporte escreveu:\n> Seu pedido saiu hoje.",
            in_reply_to=sent.provider_message_id,
            references=f"<first@example.com.br> <{sent.provider_message_id}>",
        )
    )
    poll_and_apply(channel)

    assert Conversation.objects.filter(channel=channel).count() == 1
    answer = conversation.messages.filter(direction=Message.Direction.INBOUND).latest("id")
    assert answer.content == "Obrigada!"

    # A second reply names the whole thread.
    second = reply(conversation, agent, "Disponha!")
    send_due()
    second.refresh_from_db()
    mail = smtp_server.received[-1].message
    assert mail["In-Reply-To"] == "<second@example.com.br>"
    assert mail["References"] == f"<first@example.com.br> <{sent.provider_message_id}> <second@example.com.br>"


def test_a_new_mail_from_the_same_customer_starts_a_new_conversation(account):
    channel = mailbox_channel(account)
    account.deliver(customer_mail(msg_id="a@example.com.br", subject="Pedido 1", text="Um"))
    poll_and_apply(channel)
    account.deliver(customer_mail(msg_id="b@example.com.br", subject="Outro assunto", text="Dois"))
    poll_and_apply(channel)

    assert sorted(Conversation.objects.filter(channel=channel).values_list("subject", flat=True)) == [
        "Outro assunto",
        "Pedido 1",
    ]


def test_a_reply_that_lost_its_references_threads_by_our_token(account, smtp_server, agent):
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="t1@example.com.br", subject="Troca", text="Quero trocar"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)
    sent = reply(conversation, agent, "Claro")
    send_due()
    sent.refresh_from_db()
    # A client that rewrote the id it answers (forwarded through another system) but kept our token.
    mangled = sent.provider_message_id.replace(f"msg_{sent.uuid.hex}", "fwd-1234")

    account.deliver(customer_mail(msg_id="t2@example.com.br", subject="Re: Troca", text="Ok", in_reply_to=mangled))
    poll_and_apply(channel)

    assert Conversation.objects.filter(channel=channel).count() == 1
    assert conversation.messages.filter(direction=Message.Direction.INBOUND).count() == 2


def test_an_out_of_office_reply_is_kept_but_never_reopens_or_gets_answered(account, smtp_server, agent):
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="o1@example.com.br", subject="Dúvida", text="Pergunta"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)
    sent = reply(conversation, agent, "Resposta")
    send_due()
    sent.refresh_from_db()
    conversation_services.conversation_set_status(
        conversation=conversation, status=Conversation.Status.RESOLVED, by=agent
    )
    ooo = fixture_bytes("out_of_office_auto_reply.eml").replace(
        b"msg_99999999999999999999999999999999.c22223333444455556666777788889999@acme.test",
        sent.provider_message_id.encode(),
    )

    account.deliver(ooo)
    with capture_events() as seen:
        poll_and_apply(channel)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    automatic = conversation.messages.get(provider_message_id="ooo-1@example.com.br")
    assert automatic.payload["automated"] == "auto-submitted: auto-replied"
    assert [e.name for e in seen if e.name != "contact.created"] == ["message.received"]
    assert seen[-1].facts["automated"] is True
    assert conversation.waiting_since is None
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 0
    assert len(smtp_server.received) == 1  # only the agent's reply ever left


def test_a_bounce_marks_our_message_failed_with_the_reason(account, smtp_server, agent):
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="b1@example.com.br", subject="Cadastro", text="Oi"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)
    sent = reply(conversation, agent, "Resposta")
    send_due()
    sent.refresh_from_db()
    bounce = fixture_bytes("dsn_bounce.eml").replace(
        b"msg_33334444555566667777888899990000.c44445555666677778888999900001111@acme.test",
        sent.provider_message_id.encode(),
    )

    account.deliver(bounce)
    poll_and_apply(channel)

    sent.refresh_from_db()
    assert sent.status == Message.Status.FAILED
    assert sent.error_code == "5.1.1"
    assert "bounced" in sent.error_reason and "User unknown" in sent.error_reason
    assert conversation.messages.count() == 2  # the bounce itself is no customer message


def test_an_agent_reply_carries_its_attachments(account, smtp_server, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="f1@example.com.br", subject="Boleto", text="Pode mandar?"))
    poll_and_apply(channel)
    conversation = Conversation.objects.get(channel=channel)
    pdf = fixture_bytes("pdf_attachment.eml")  # any bytes; the PDF inside is decoded below
    from channels_app.providers.email import mime

    [(name, _type, data, _cid)] = mime.body_of(mime.parse(pdf)).attachments
    reply(conversation, agent, "Segue o boleto.", files=(prepare_file(name="boleto.pdf", data=data),))

    send_due()

    mail = smtp_server.received[-1].message
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "boleto.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == data


@pytest.mark.parametrize(
    ("where", "reply_line", "final", "expected"),
    [
        ("rcpt", "550 5.1.1 <maria@example.com.br>: Recipient address rejected", True, "The address does not exist."),
        ("rcpt", "452 4.2.2 Mailbox full, try later", False, "could not take the message now"),
        ("data", "552 5.3.4 Message size exceeds fixed limit", True, "too large for the recipient's server"),
    ],
)
def test_smtp_errors_are_classified_and_shown_on_the_message(
    account, smtp_server, agent, where, reply_line, final, expected
):
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="e1@example.com.br", subject="Erro", text="Oi"))
    poll_and_apply(channel)
    (smtp_server.rcpt_replies if where == "rcpt" else smtp_server.data_replies).append(reply_line)
    message = reply(Conversation.objects.get(channel=channel), agent, "Resposta")

    send_due()

    message.refresh_from_db()
    assert expected in message.error_reason
    if final:
        assert message.status == Message.Status.FAILED
        assert message.error_code == reply_line[:3]
    else:
        assert message.status == Message.Status.QUEUED
        assert message.error_reason.startswith("Will retry:")
        send_due()  # the server takes it on the next attempt
        message.refresh_from_db()
        assert message.status == Message.Status.SENT
        assert len(smtp_server.received) == 1


def test_a_refused_smtp_login_fails_the_message_and_flags_the_channel(account, smtp_server, agent):
    channel = mailbox_channel(account, smtp=smtp_server)
    account.deliver(customer_mail(msg_id="l1@example.com.br", subject="Login", text="Oi"))
    poll_and_apply(channel)
    smtp_server.users[account.address] = "changed-password"
    message = reply(Conversation.objects.get(channel=channel), agent, "Resposta")

    send_due()

    message.refresh_from_db()
    channel.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "refused the user name or password" in message.error_reason
    assert channel.status == Channel.Status.NEEDS_RECONNECT


def test_an_unreachable_smtp_server_is_retried(account, agent):
    from tests.fakes.dovecot import free_port

    channel = mailbox_channel(account, smtp_port=free_port())
    account.deliver(customer_mail(msg_id="u1@example.com.br", subject="Rede", text="Oi"))
    poll_and_apply(channel)
    message = reply(Conversation.objects.get(channel=channel), agent, "Resposta")

    send_due()

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "refused the connection" in message.error_reason


def test_test_connection_signs_in_to_both_servers(account, smtp_server):
    channel = mailbox_channel(account, smtp=smtp_server)

    result = channel_services.channel_check(channel=channel)

    assert result.ok, result.detail
    assert smtp_server.auth_attempts == [("PLAIN", account.address, True)]
    assert ApiCall.objects.filter(operation="check", channel_id=channel.pk, ok=True).exists()

    smtp_server.users[account.address] = "rotated"
    result = channel_services.channel_check(channel=channel)
    assert not result.ok
    assert "refused the user name or password" in result.detail
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT
