from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = _("Channels")

    def ready(self):
        from django_q.models import Schedule

        from core import tasks

        tasks.register_schedule("prune-inbound-events", "channels_app.tasks.prune_processed_events", Schedule.DAILY)
        tasks.register_schedule("prune-pending-statuses", "channels_app.tasks.prune_pending_statuses", Schedule.DAILY)
