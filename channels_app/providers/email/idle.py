"""Instant delivery with IMAP IDLE (RFC 2177): one thread per mailbox holds an IDLE session and
asks for a poll of its mailbox as soon as the server announces new mail. Run as its own process
(`manage.py email_idle`, the `mail` line of the Procfile); the scheduled polling keeps running
beside it, so a dropped IDLE session only delays mail to the next scheduled poll.

IDLE is renewed every 25 minutes (servers drop idle clients after 30, NAT boxes sooner); a
mailbox whose server has no IDLE capability, or that reads POP3, is left to the schedule.
"""

import logging
import threading
import time

from django.db import close_old_connections

from channels_app.models import Channel
from channels_app.providers.email import config, connect, services

logger = logging.getLogger(__name__)

IDLE_RENEW_SECONDS = 25 * 60
CHECK_SECONDS = 5  # how often a watcher looks up from IDLE to see if it should stop
RETRY_SECONDS = (10, 30, 60, 120, 300)


def _new_mail(responses) -> bool:
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


class Watcher(threading.Thread):
    def __init__(self, channel_id: int, *, renew_seconds: int = IDLE_RENEW_SECONDS, check_seconds: int = CHECK_SECONDS):
        super().__init__(name=f"email-idle-{channel_id}", daemon=True)
        self.channel_id = channel_id
        self.renew_seconds = renew_seconds
        self.check_seconds = check_seconds
        self.stopping = threading.Event()
        self.supported = True

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        failures = 0
        while not self.stopping.is_set() and self.supported:
            try:
                self._session()
                failures = 0
            except connect.MailboxError as exc:
                logger.warning("IDLE session of channel %s failed: %s", self.channel_id, exc.message)
                failures += 1
                self.stopping.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
            except Channel.DoesNotExist:
                return
            except Exception:
                logger.exception("IDLE watcher of channel %s crashed; restarting", self.channel_id)
                failures += 1
                self.stopping.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
            finally:
                close_old_connections()

    def _session(self) -> None:
        channel = Channel.objects.get(pk=self.channel_id, is_active=True)
        cfg = config.of(channel)
        with services.inbound_session(channel, cfg, operation="imap_idle") as client:
            if not client.has_capability("IDLE"):
                self.supported = False
                return
            client.select_folder(cfg.folder, readonly=True)
            # Poll only once IDLE is established: mail that arrived before it (or while the
            # last poll ran) is fetched now, mail that arrives after it is announced.
            client.idle()
            self._poll()
            renew_at = time.monotonic() + self.renew_seconds
            while not self.stopping.is_set() and time.monotonic() < renew_at:
                if _new_mail(client.idle_check(timeout=self.check_seconds)):
                    client.idle_done()
                    client.idle()
                    self._poll()
            client.idle_done()

    def _poll(self) -> None:
        services.mailbox_poll_requested(channel=Channel.objects.get(pk=self.channel_id))
        close_old_connections()


def watched_channel_ids() -> set[int]:
    channels = Channel.objects.filter(kind="email", is_active=True).exclude(status=Channel.Status.NEEDS_RECONNECT)
    return {c.pk for c in channels if config.of(c).protocol == "imap"}


def run(*, stop: threading.Event, refresh_seconds: int = 60) -> None:
    """Keep one watcher per IMAP mailbox until `stop` is set; mailboxes added, removed or
    needing reconnection are picked up every `refresh_seconds`."""
    watchers: dict[int, Watcher] = {}
    try:
        while not stop.is_set():
            wanted = watched_channel_ids()
            close_old_connections()
            for channel_id in set(watchers) - wanted:
                watchers.pop(channel_id).stop()
            for channel_id in wanted:
                watcher = watchers.get(channel_id)
                if watcher is None or not watcher.is_alive() and watcher.supported:
                    watchers[channel_id] = Watcher(channel_id)
                    watchers[channel_id].start()
            stop.wait(refresh_seconds)
    finally:
        for watcher in watchers.values():
            watcher.stop()
        for watcher in watchers.values():
            watcher.join(timeout=CHECK_SECONDS + 5)
