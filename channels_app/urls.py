from django.urls import path

from channels_app import webhooks

urlpatterns = [
    path("webhooks/<slug:kind>/<uuid:channel_uuid>/", webhooks.receive, name="channel-webhook"),
]
