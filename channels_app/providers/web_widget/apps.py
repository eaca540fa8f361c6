from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebWidgetConfig(AppConfig):
    """The web chat widget: visitor uploads and bot state live here; the channel itself is a
    `channels_app.Channel` of kind `web_widget`."""

    name = "channels_app.providers.web_widget"
    label = "web_widget"
    verbose_name = _("Web chat widget")

    def ready(self):
        from django_q.models import Schedule

        from channels_app.providers.web_widget import services
        from core import events, tasks

        # Durable: the bot answers inside the transaction that records the visitor's message, so
        # a retried inbound event can never make it answer twice.
        events.subscribe(services.bot_react, durable=True)
        tasks.register_schedule(
            "prune-widget-uploads", "channels_app.providers.web_widget.tasks.prune_uploads", Schedule.DAILY
        )
