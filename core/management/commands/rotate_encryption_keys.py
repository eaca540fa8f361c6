"""Re-encrypt every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: prepend a new key to FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart,
run this command, then drop the old keys.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.fields import EncryptedJSONField


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            for field in [f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]:
                for pk in model.objects.values_list("pk", flat=True).iterator():
                    with transaction.atomic():
                        # Decrypts with whichever key matches; saving encrypts with the newest.
                        value = (
                            model.objects.select_for_update().filter(pk=pk).values_list(field.name, flat=True).first()
                        )
                        model.objects.filter(pk=pk).update(**{field.name: value or {}})
                        total += 1
        self.stdout.write(f"re-encrypted {total} value(s)")
