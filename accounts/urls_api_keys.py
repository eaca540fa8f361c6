"""Console settings pages for API keys (mounted in the `console:` namespace)."""

from django.urls import path

from accounts import views_api_keys

urlpatterns = [
    path("settings/api-keys/", views_api_keys.api_keys, name="settings-api-keys"),
    path("settings/api-keys/<uuid:key_uuid>/revoke/", views_api_keys.api_key_revoke, name="settings-api-key-revoke"),
]
