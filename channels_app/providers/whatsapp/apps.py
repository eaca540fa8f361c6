from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatsAppConfig(AppConfig):
    name = "channels_app.providers.whatsapp"
    label = "whatsapp"
    verbose_name = _("WhatsApp")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_q.models import Schedule

        from core import tasks

        # Templates change in Meta's WhatsApp Manager (approved, paused, rejected): keep our copy fresh.
        tasks.register_schedule(
            "whatsapp-template-sync", "channels_app.providers.whatsapp.tasks.templates_sync_all", Schedule.MINUTES, 60
        )
