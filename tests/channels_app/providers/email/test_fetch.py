"""Fetching from a real Dovecot (IMAP and POP3): never lose a mail, never take one twice."""

from email.message import EmailMessage

import imapclient
import pytest
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import Channel, InboundEvent
from channels_app.providers.email import services
from channels_app.providers.email.models import FolderState, Mailbox
from conversations.models import Conversation, Message
from monitoring.models import ApiCall
from tests.channels_app.providers.email.conftest import fixture_bytes, mailbox_channel

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def mail(n: int, sender: str = "cliente@example.com.br", subject: str = "Pedido", size: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Cliente {n} <{sender}>"
    msg["To"] = "suporte@acme.test"
    msg["Subject"] = f"{subject} {n}"
    msg["Message-ID"] = f"<fetch-{n}-{id(msg)}@example.com.br>"
    msg["Date"] = "Mon, 16 Nov 2026 10:00:00 -0300"
    msg.set_content(f"Mensagem número {n}." + ("x" * size))
    return msg.as_bytes()


def poll(channel: Channel) -> None:
    """The scheduled task, with this mailbox due now."""
    Mailbox.objects.filter(channel=channel).update(next_attempt_at=timezone.now())
    services.mailboxes_poll()


def poll_and_apply(channel: Channel) -> None:
    poll(channel)
    channel_services.inbound_drain()


def events(channel: Channel):
    return InboundEvent.objects.filter(channel=channel)


def test_a_fetched_mail_becomes_a_conversation_and_is_marked_read_on_the_server(account):
    channel = mailbox_channel(account)
    [uid] = account.deliver(fixture_bytes("pdf_attachment.eml"))

    poll_and_apply(channel)

    conversation = Conversation.objects.select_related("contact").get(channel=channel)
    assert conversation.subject == "Orçamento em anexo"
    assert conversation.contact.email == "carla@example.com.br"
    assert conversation.contact.name == "Carla Mendes"
    message = conversation.messages.get()
    assert message.content == "Segue o orçamento em PDF."
    assert message.provider_message_id == "pdf-1@example.com.br"
    [attachment] = message.attachments.all()
    assert (attachment.name, attachment.content_type) == ("orçamento 2026.pdf", "application/pdf")
    assert imapclient.SEEN in account.flags()[uid]
    event = events(channel).get()
    assert event.endpoint == f"mailbox:{channel.uuid}"
    assert event.dedupe_key == "mid:pdf-1@example.com.br"
    assert event.headers["uid"] == uid
    assert FolderState.objects.get(mailbox__channel=channel).last_uid == uid
    call = ApiCall.objects.filter(operation="imap_poll").latest("id")
    assert (call.provider, call.ok) == ("email", True)
    assert call.url == f"imap://127.0.0.1:{account.server.imap_port}/INBOX"
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK


def test_several_mailboxes_are_polled_independently(account, dovecot):
    from tests.channels_app.providers.email.conftest import Account

    other = Account(address=f"vendas-{account.address}", password=dovecot.PASSWORD, server=dovecot)
    first, second = mailbox_channel(account), mailbox_channel(other)
    account.deliver(mail(1))
    other.deliver(mail(2), mail(3))

    services.mailboxes_poll()
    channel_services.inbound_drain()

    assert Message.objects.filter(channel=first).count() == 1
    assert Message.objects.filter(channel=second).count() == 2


def test_first_connection_without_a_start_date_imports_only_new_mail(account):
    account.deliver(mail(1))
    channel = mailbox_channel(account)
    channel.settings["import_since"] = ""
    channel.save()

    poll(channel)
    assert not events(channel).exists()
    account.deliver(mail(2))
    poll(channel)

    assert [e.headers["uid"] for e in events(channel)] == [2]


def test_first_connection_imports_mail_since_the_chosen_date(account):
    account.deliver(mail(1), mail(2))
    channel = mailbox_channel(account)
    channel.settings["import_since"] = timezone.now().date().replace(year=timezone.now().year + 1).isoformat()
    channel.save()

    poll(channel)  # everything is older than a date in the future
    assert not events(channel).exists()
    account.deliver(mail(3))
    poll(channel)
    assert events(channel).count() == 1


def test_a_poll_with_nothing_new_costs_one_select(account, monkeypatch):
    channel = mailbox_channel(account)
    account.deliver(mail(1))
    poll(channel)
    calls = []
    for name in ("search", "fetch"):
        original = getattr(imapclient.IMAPClient, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(imapclient.IMAPClient, name, spy)

    poll(channel)

    assert calls == []
    assert events(channel).count() == 1
    assert Mailbox.objects.get(channel=channel).last_success_at is not None


def test_an_interrupted_fetch_after_storing_but_before_flagging_yields_each_mail_once(account, monkeypatch):
    channel = mailbox_channel(account)
    uids = account.deliver(mail(1), mail(2), mail(3))
    original = services._imap_done

    def connection_lost(*args, **kwargs):
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(services, "_imap_done", connection_lost)
    poll(channel)

    assert events(channel).count() == 3  # recorded before the crash...
    assert all(imapclient.SEEN not in account.flags()[uid] for uid in uids)  # ...never flagged
    mailbox = Mailbox.objects.get(channel=channel)
    assert "connection reset" in mailbox.last_error
    assert mailbox.next_attempt_at > timezone.now()  # retried after a backoff
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ERROR  # shown on the channel
    assert "connection reset" in channel.last_error

    monkeypatch.setattr(services, "_imap_done", original)
    poll_and_apply(channel)

    assert events(channel).count() == 3
    assert Message.objects.filter(channel=channel).count() == 3
    assert all(imapclient.SEEN in account.flags()[uid] for uid in uids)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK


def test_a_fetch_interrupted_after_flagging_but_before_saving_the_uid_yields_each_mail_once(account, monkeypatch):
    channel = mailbox_channel(account)
    account.deliver(mail(1), mail(2))
    original_update = FolderState.objects.filter

    class Boom(Exception):
        pass

    def filter_then_fail(*args, **kwargs):
        queryset = original_update(*args, **kwargs)
        if "pk" in kwargs:  # the last-UID update
            raise Boom("worker killed")
        return queryset

    monkeypatch.setattr(FolderState.objects, "filter", filter_then_fail)
    poll(channel)
    monkeypatch.undo()
    poll_and_apply(channel)

    assert events(channel).count() == 2
    assert Message.objects.filter(channel=channel).count() == 2


def test_a_uidvalidity_change_rescans_without_duplicates(account, dovecot):
    channel = mailbox_channel(account, folder="Suporte")
    with dovecot.client(account.address, account.password) as client:
        client.create_folder("Suporte")
    account.deliver(mail(1), mail(2), folder="Suporte")
    poll_and_apply(channel)
    before = FolderState.objects.get(mailbox__channel=channel).uidvalidity

    dovecot.recreate_folder(account.address, account.password, "Suporte")  # same mails, new UIDs
    account.deliver(mail(3), folder="Suporte")
    poll_and_apply(channel)

    state = FolderState.objects.get(mailbox__channel=channel)
    assert state.uidvalidity != before
    assert state.last_uid == 3
    assert events(channel).count() == 3
    assert Message.objects.filter(channel=channel).count() == 3


def test_delete_after_fetch_removes_the_mail_from_the_server(account):
    channel = mailbox_channel(account, after_fetch="delete")
    account.deliver(mail(1), mail(2))

    poll_and_apply(channel)

    assert account.flags() == {}
    assert Message.objects.filter(channel=channel).count() == 2


def test_an_unreachable_server_is_retried_with_backoff_and_shown_on_the_channel(account):
    from tests.fakes.dovecot import free_port

    channel = mailbox_channel(account, inbound_port=free_port())

    poll(channel)

    channel.refresh_from_db()
    assert channel.status == Channel.Status.ERROR
    assert "refused the connection" in channel.last_error
    mailbox = Mailbox.objects.get(channel=channel)
    first_retry = mailbox.next_attempt_at
    assert first_retry > timezone.now()
    poll(channel)
    mailbox.refresh_from_db()
    assert mailbox.next_attempt_at - timezone.now() > first_retry - mailbox.last_polled_at  # backing off
    assert not ApiCall.objects.get(operation="imap_poll", channel_id=channel.pk, id=ApiCall.objects.latest("id").id).ok

    channel.settings["inbound_port"] = account.server.imap_port
    channel.save()
    account.deliver(mail(1))
    poll(channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK
    assert events(channel).count() == 1


def test_a_refused_password_asks_for_reconnection_and_is_not_retried_until_changed(account, monkeypatch):
    channel = mailbox_channel(account, password="wrong")
    poll(channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT
    assert "refused the user name or password" in channel.last_error

    opened = []
    monkeypatch.setattr(imapclient.IMAPClient, "__init__", lambda *a, **k: opened.append(1) or 1 / 0)
    poll(channel)
    assert opened == []  # the same refused password is not tried again
    monkeypatch.undo()

    channel.credentials = {**channel.credentials, "password": account.password}
    channel.save()
    account.deliver(mail(1))
    poll(channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.OK
    assert events(channel).count() == 1


def test_a_large_mail_is_kept_in_file_storage_not_in_the_row(account, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.INBOUND_INLINE_BODY_MAX_BYTES = 2000
    channel = mailbox_channel(account)
    account.deliver(mail(1, size=5000))

    poll_and_apply(channel)

    event = events(channel).get()
    assert bytes(event.body) == b"" and event.body_file.name.startswith("inbound/")
    assert len(event.raw_body()) > 5000
    assert Message.objects.get(channel=channel).content.startswith("Mensagem número 1.")
    assert event.status == InboundEvent.Status.PROCESSED


def test_a_mail_over_the_size_limit_is_imported_as_a_note_without_its_body(account, settings):
    settings.EMAIL_MAX_MESSAGE_BYTES = 3000
    channel = mailbox_channel(account)
    account.deliver(mail(1, size=5000), mail(2))

    poll_and_apply(channel)

    big = Message.objects.get(channel=channel, conversation__subject="Pedido 1")
    small = Message.objects.get(channel=channel, conversation__subject="Pedido 2")
    assert "larger than the" in big.content and "Open it in the mailbox" in big.content
    assert small.content == "Mensagem número 2."


# --- POP3 -------------------------------------------------------------------------------------
def test_pop3_fetches_each_mail_once_and_deletes_when_configured(account):
    account.deliver(mail(1), mail(2))
    channel = mailbox_channel(account, protocol="pop3", after_fetch="delete")

    poll_and_apply(channel)
    poll_and_apply(channel)

    assert events(channel).count() == 2
    assert Message.objects.filter(channel=channel).count() == 2
    assert account.flags() == {}
    assert ApiCall.objects.filter(operation="pop3_poll", ok=True).exists()


def test_pop3_keeps_mail_on_the_server_and_remembers_what_it_took(account):
    account.deliver(mail(1))
    channel = mailbox_channel(account, protocol="pop3")
    poll_and_apply(channel)
    account.deliver(mail(2))
    poll_and_apply(channel)

    assert events(channel).count() == 2
    assert len(account.flags()) == 2


def test_an_interrupted_pop3_fetch_yields_each_mail_once(account, monkeypatch):
    from channels_app.providers.email.models import Pop3Seen

    account.deliver(mail(1), mail(2))
    channel = mailbox_channel(account, protocol="pop3")

    def crash(*args, **kwargs):
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(Pop3Seen.objects, "get_or_create", crash)
    poll(channel)
    assert events(channel).count() == 1  # the first mail was recorded, then the crash
    monkeypatch.undo()
    poll_and_apply(channel)

    assert events(channel).count() == 2
    assert Message.objects.filter(channel=channel).count() == 2


def test_a_poll_that_runs_out_of_time_hands_the_other_mailboxes_to_a_new_task(monkeypatch):
    from core import tasks
    from tests.channels_app.providers.email.conftest import make_email_channel

    for n in range(2):
        make_email_channel(address=f"caixa{n}@acme.test")
    services._ensure_mailboxes()
    Mailbox.objects.update(next_attempt_at=timezone.now())
    kicked, polled = [], []
    monkeypatch.setattr(tasks, "kick_now", kicked.append)
    monkeypatch.setattr(services, "mailbox_poll", lambda mailbox: polled.append(mailbox.pk))
    monkeypatch.setattr(channel_services, "DRAIN_SECONDS", -1)  # the budget is already spent

    assert services.mailboxes_poll() == 0

    assert polled == [] and kicked == ["email_poll"]
    assert list(Mailbox.objects.values_list("status", "attempts", "lease_until").distinct()) == [
        (Mailbox.Status.IDLE, 0, None)
    ]
