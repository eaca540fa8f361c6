from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from core import http
        from monitoring.recorder import record_api_call

        http.register_recorder(record_api_call)
