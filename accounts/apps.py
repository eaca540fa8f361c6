from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django_q.models import Schedule

        from core import tasks

        tasks.register_schedule("prune-api-records", "accounts.tasks.prune_api_records", Schedule.DAILY)
