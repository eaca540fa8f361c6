"""ASGI entry point: HTTP goes to Django, `/ws/...` to the Channels consumers."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnichannel.settings")
os.environ["OMNICHANNEL_ASGI"] = "1"  # settings switch to a connection pool under ASGI

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from omnichannel.startup import require_secrets  # noqa: E402

require_secrets()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from omnichannel.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
