from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "channels_app.providers.email"
    label = "email_channel"
    verbose_name = _("E-mail channel")

    def ready(self):
        from django_q.models import Schedule

        from core import tasks

        # The sweeper re-kicks registered queues every minute and this schedule runs the same
        # drain once a minute too; each run only touches mailboxes whose interval has passed.
        tasks.register_queue("email_poll", "channels_app.providers.email.tasks.mailboxes_poll")
        tasks.register_schedule("email-poll", "channels_app.providers.email.tasks.mailboxes_poll", Schedule.MINUTES, 1)
