from django.urls import path

from channels_app.providers.web_widget.consumers import VisitorConsumer
from conversations.consumers import ConsoleConsumer

websocket_urlpatterns = [
    path("ws/console/", ConsoleConsumer.as_asgi()),
    path("ws/widget/", VisitorConsumer.as_asgi()),
]
