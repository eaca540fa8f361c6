"""IMAP IDLE: new mail is fetched as soon as Dovecot announces it, without waiting for a poll."""

import time

import pytest

from channels_app.models import InboundEvent
from channels_app.providers.email import idle
from channels_app.providers.email.models import Mailbox
from tests.channels_app.providers.email.conftest import mailbox_channel
from tests.channels_app.providers.email.test_fetch import mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def wait_for(predicate, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_mail_announced_by_idle_is_recorded_at_once(account):
    channel = mailbox_channel(account)
    watcher = idle.Watcher(channel.pk, check_seconds=1)
    watcher.start()
    try:
        # The watcher's first poll found nothing and it is now idling.
        assert wait_for(lambda: Mailbox.objects.filter(channel=channel, last_success_at__isnull=False).exists())
        time.sleep(0.5)
        account.deliver(mail(1))
        assert wait_for(lambda: InboundEvent.objects.filter(channel=channel).count() == 1)
        # Mail arriving while the watcher is busy fetching (between two IDLE sessions) is not lost.
        for n in range(2, 6):
            account.deliver(mail(n))
            assert wait_for(lambda n=n: InboundEvent.objects.filter(channel=channel).count() >= n - 1)
        account.deliver(mail(6), mail(7))
        assert wait_for(lambda: InboundEvent.objects.filter(channel=channel).count() == 7)
    finally:
        watcher.stop()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_watched_mailboxes_are_the_active_imap_ones(account):
    imap = mailbox_channel(account)
    mailbox_channel(account, protocol="pop3")
    inactive = mailbox_channel(account)
    inactive.is_active = False
    inactive.save()
    assert idle.watched_channel_ids() == {imap.pk}
