from django.urls import path

from channels_app.providers.whatsapp import views_sandbox, webhooks

urlpatterns = [
    path("webhooks/whatsapp/app/<uuid:app_uuid>/", webhooks.receive_app, name="whatsapp-app-webhook"),
    path("sandbox/whatsapp/graph/<path:path>", views_sandbox.graph, name="whatsapp-sandbox-graph"),
]
