"""The agent console, one URL namespace (`console:`) assembled from the apps that own the pages."""

from accounts.urls_console import urlpatterns as accounts_urls
from channels_app.urls_console import urlpatterns as channels_urls
from contacts.urls_console import urlpatterns as contacts_urls
from conversations.urls_console import urlpatterns as conversations_urls

app_name = "console"
urlpatterns = [*conversations_urls, *contacts_urls, *accounts_urls, *channels_urls]
