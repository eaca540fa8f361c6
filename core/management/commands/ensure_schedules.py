from django.core.management.base import BaseCommand

from core import tasks


class Command(BaseCommand):
    help = "Create or update the periodic tasks (sweepers, pruning)."

    def handle(self, *args, **options):
        tasks.ensure_schedules()
        self.stdout.write(f"{len(tasks.SCHEDULES)} schedule(s) in place")
