"""WhatsApp pages of the agent console, mounted in the `console:` namespace
(omnichannel/console_urls.py)."""

from django.urls import path

from channels_app.providers.whatsapp import views

urlpatterns = [
    path("conversations/<uuid:conversation_uuid>/whatsapp-template/", views.template_compose, name="whatsapp-template"),
    path("whatsapp/new/", views.conversation_new, name="whatsapp-new"),
    path("whatsapp/simulator/<uuid:channel_uuid>/", views.simulator, name="whatsapp-simulator"),
    path("whatsapp/simulator/<uuid:channel_uuid>/send/", views.simulator_send, name="whatsapp-simulator-send"),
    path("settings/channels/<uuid:channel_uuid>/templates/", views.channel_templates, name="whatsapp-templates"),
    path("settings/whatsapp/meta-apps/", views.meta_apps, name="whatsapp-meta-apps"),
    path("settings/whatsapp/meta-apps/<uuid:app_uuid>/", views.meta_app_edit, name="whatsapp-meta-app"),
]
