from django.contrib import admin
from django.urls import include, path

from monitoring import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("omnichannel.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("channels_app.urls")),
    path("", include("channels_app.providers.whatsapp.urls")),
    path("", include("channels_app.providers.web_widget.urls")),
    path("channels/email/", include("channels_app.providers.email.urls")),
    path("", include("conversations.urls")),
    path("", include("omnichannel.console_urls")),
]
