from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Outbound webhooks")

    def ready(self):
        from django_q.models import Schedule

        from core import events, tasks
        from webhooks import services

        # The outbox: delivery rows are written inside the publishing transaction.
        events.subscribe(services.deliveries_enqueue, durable=True)
        tasks.register_queue("webhooks", "webhooks.tasks.deliveries_drain")
        tasks.register_schedule("prune-webhook-deliveries", "webhooks.tasks.prune_deliveries", Schedule.DAILY)
