"""Make sure an administrator can sign in: the one named by DJANGO_SUPERUSER_EMAIL and
DJANGO_SUPERUSER_PASSWORD (written to .env by `make run` on first start)."""

import os

from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create or update the administrator from DJANGO_SUPERUSER_EMAIL / DJANGO_SUPERUSER_PASSWORD."

    def handle(self, *args, **options):
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not email or not password:
            raise CommandError("Set DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD.")
        user, created = services.admin_ensure(email=email, password=password)
        self.stdout.write(f"administrator {user.email} {'created' if created else 'ready'}")
