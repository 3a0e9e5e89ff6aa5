"""ASGI entry point: HTTP through the read cache and Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from novosphere.read_cache import ReadCache  # noqa: E402
from novosphere.routing import websocket_urlpatterns  # noqa: E402
from novosphere.ws_auth import TokenAuthMiddleware, origin_checked  # noqa: E402
from novosphere.ws_guard import closes_when_unavailable  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ReadCache(django_asgi_app),
        "websocket": origin_checked(closes_when_unavailable(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))),
    }
)
