from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from django_q.models import Schedule

        from conversations import live
        from core import events, tasks

        events.subscribe(live.fan_out, durable=False)
        events.subscribe(live.visitor_fan_out, durable=False)
        tasks.register_schedule("wake-snoozed", "conversations.tasks.wake_snoozed", Schedule.MINUTES, 1)
