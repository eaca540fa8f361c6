"""The agent console, one URL namespace (`console:`) assembled from the apps that own the pages."""

from accounts.urls_api_keys import urlpatterns as api_keys_urls
from accounts.urls_console import urlpatterns as accounts_urls
from channels_app.providers.whatsapp.urls_console import urlpatterns as whatsapp_urls
from channels_app.urls_console import urlpatterns as channels_urls
from contacts.urls_console import urlpatterns as contacts_urls
from conversations.urls_console import urlpatterns as conversations_urls
from webhooks.urls import urlpatterns as webhooks_urls

app_name = "console"
urlpatterns = [
    *conversations_urls,
    *contacts_urls,
    *accounts_urls,
    *channels_urls,
    *api_keys_urls,
    *webhooks_urls,
    *whatsapp_urls,
]
