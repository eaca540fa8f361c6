"""`manage.py email_idle`: hold IMAP IDLE sessions for instant mail delivery (optional process)."""

import signal
import threading

from django.core.management.base import BaseCommand

from channels_app.providers.email import idle


class Command(BaseCommand):
    help = "Watch IMAP mailboxes with IDLE and fetch new mail as soon as it arrives."

    def add_arguments(self, parser):
        parser.add_argument("--refresh", type=int, default=60, help="Seconds between looks for new mailboxes.")

    def handle(self, *args, refresh: int, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Watching IMAP mailboxes (IDLE).")
        idle.run(stop=stop, refresh_seconds=refresh)
