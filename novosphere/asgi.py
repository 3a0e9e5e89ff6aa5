"""ASGI entry point: HTTP through the read cache and Django, websockets through Channels."""

import gc
import os

from novosphere.http_handler import get_pooled_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")
django_asgi_app = get_pooled_asgi_application()

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

# A server process keeps what it imported (Django, the URL tree, the apps) for life:
# freezing it keeps the collector from scanning it again, and collecting the young
# generation in larger batches makes collections rarer. Full collections over that
# heap paused the event loop for tens of milliseconds: the tail of every hot read.
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)
