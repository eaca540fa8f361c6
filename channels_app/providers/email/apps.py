from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "channels_app.providers.email"
    label = "email_channel"
    verbose_name = _("E-mail channel")

    def ready(self):
        from core import tasks

        # The sweeper kicks every registered queue once a minute; a poll only touches mailboxes
        # whose interval has passed.
        tasks.register_queue("email_poll", "channels_app.providers.email.tasks.mailboxes_poll")
