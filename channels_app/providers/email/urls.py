"""Mounted by omnichannel/urls.py at `channels/email/` (namespace `email_channel`)."""

from django.urls import path

from channels_app.providers.email import views

app_name = "email_channel"
urlpatterns = [
    path("oauth/start/<uuid:channel_uuid>/", views.oauth_start, name="oauth_start"),
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("messages/<uuid:message_uuid>/original/", views.message_original, name="message_original"),
    path("messages/<uuid:message_uuid>/original/body/", views.message_original_body, name="message_original_body"),
]
