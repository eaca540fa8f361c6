from django.urls import path

from channels_app import views

urlpatterns = [
    path("settings/channels/", views.channel_list, name="settings-channels"),
    path("settings/channels/new/<slug:kind>/", views.channel_new, name="settings-channel-new"),
    path("settings/channels/<uuid:channel_uuid>/", views.channel_edit, name="settings-channel"),
    path("settings/channels/<uuid:channel_uuid>/check/", views.channel_check, name="settings-channel-check"),
]
