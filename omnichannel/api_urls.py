"""The public REST API v1, mounted at /api/v1/ (docs/api.md). Paths follow the seed's §6."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import apis as accounts_apis
from channels_app import apis as channels_apis
from contacts import apis as contacts_apis
from conversations import apis as conversations_apis
from core.api.views import NotFoundApi
from webhooks import apis as webhooks_apis

app_name = "api"

urlpatterns = [
    path("auth/token", accounts_apis.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/refresh", accounts_apis.TokenRefreshApi.as_view(), name="auth-refresh"),
    path("auth/revoke", accounts_apis.TokenRevokeApi.as_view(), name="auth-revoke"),
    path("conversations", conversations_apis.ConversationListApi.as_view(), name="conversations"),
    path(
        "conversations/<uuid:conversation_id>",
        conversations_apis.ConversationDetailApi.as_view(),
        name="conversation",
    ),
    path(
        "conversations/<uuid:conversation_id>/messages",
        conversations_apis.MessageListApi.as_view(),
        name="conversation-messages",
    ),
    path("messages/<uuid:message_id>", conversations_apis.MessageDetailApi.as_view(), name="message"),
    path("contacts", contacts_apis.ContactListApi.as_view(), name="contacts"),
    path("contacts/<uuid:contact_id>", contacts_apis.ContactDetailApi.as_view(), name="contact"),
    path("channels", channels_apis.ChannelListApi.as_view(), name="channels"),
    path("channels/<uuid:channel_id>", channels_apis.ChannelDetailApi.as_view(), name="channel"),
    path("channels/<uuid:channel_id>/status", channels_apis.ChannelStatusApi.as_view(), name="channel-status"),
    path("webhooks", webhooks_apis.SubscriptionListApi.as_view(), name="webhooks"),
    path("webhooks/register", webhooks_apis.SubscriptionRegisterApi.as_view(), name="webhook-register"),
    path("webhooks/<uuid:subscription_id>", webhooks_apis.SubscriptionDetailApi.as_view(), name="webhook"),
    path(
        "webhooks/<uuid:subscription_id>/deliveries",
        webhooks_apis.DeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/redeliver",
        webhooks_apis.DeliveryRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
    path("schema/", SpectacularAPIView.as_view(api_version="1.0.0"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^[\s\S]*$", NotFoundApi.as_view(), name="not-found"),  # [\s\S]: paths with newlines too
]
