"""Console settings pages for outbound webhooks (mounted in the `console:` namespace)."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.subscriptions, name="settings-webhooks"),
    path("settings/webhooks/<uuid:subscription_uuid>/", views.subscription_detail, name="settings-webhook"),
    path(
        "settings/webhooks/<uuid:subscription_uuid>/enable/", views.subscription_enable, name="settings-webhook-enable"
    ),
    path(
        "settings/webhooks/<uuid:subscription_uuid>/delete/", views.subscription_delete, name="settings-webhook-delete"
    ),
    path(
        "settings/webhooks/deliveries/<uuid:delivery_uuid>/redeliver/",
        views.delivery_redeliver,
        name="settings-webhook-redeliver",
    ),
]
