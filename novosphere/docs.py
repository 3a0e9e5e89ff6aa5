"""The documentation beside `/api/docs/`: the schema as a browser opens it, and the websocket protocol.

`/api/schema/` answers JSON by default (`application/json`, which browsers show) under an ASCII
file name; drf-spectacular's own view answered YAML under a type browsers download, named after
the title ("Novosphère API.yaml", a raw Latin-1 byte in a header). YAML stays a request away
(`?format=yaml`, or `Accept: application/vnd.oai.openapi`).

`/api/docs/websocket/` describes `/ws/stream/` (frames both ways, close codes, resume, language)
as an HTML page from a template, in French or English, with the limits read from the settings,
so that it says what the running service does. It needs nothing from the network.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView

from feeds.consumers import CLOSE_TOO_MANY_FRAMES, CLOSE_UNAUTHENTICATED
from novosphere.ws_guard import CLOSE_UNAVAILABLE

SCHEMA_FILE = "novosphere-api"


class SchemaView(SpectacularAPIView):
    # JSON first: what a browser (`Accept: text/html, ..., */*`) gets, and shows.
    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer, OpenApiYamlRenderer, OpenApiYamlRenderer2]

    def _get_filename(self, request, version) -> str:
        suffix = self.perform_content_negotiation(request, force=True)[0].format
        return f"{SCHEMA_FILE}.{suffix}"


@require_safe
def websocket_protocol(request):
    """The websocket protocol page, in the language of `?lang=` or of the request (French by default)."""
    language = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    context = {
        "lang": language,
        "close": {"unauthenticated": CLOSE_UNAUTHENTICATED, "too_many": CLOSE_TOO_MANY_FRAMES,
                  "unavailable": CLOSE_UNAVAILABLE},
        "limits": {
            "frames_per_second": f"{settings.WS_FRAMES_PER_SECOND:g}", "burst": settings.WS_FRAME_BURST,
            "frame_bytes": settings.WS_MAX_FRAME_BYTES, "resume": settings.WS_RESUME_LIMIT,
            "subscriptions": settings.WS_MAX_SUBSCRIPTIONS, "connects": settings.RATE_LIMITS["ws_connect"],
        },
    }
    with translation.override(language):
        response = render(request, "novosphere/websocket_protocol.html", context)
    response["Content-Language"] = language
    return response
