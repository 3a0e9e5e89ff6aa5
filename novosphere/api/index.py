"""`/`, `/api/` and `/api/v1/`: a small JSON index of where things are, for a person
with curl or a client discovering the service."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

INDEX = inline_serializer("ApiIndex", {
    "name": serializers.CharField(),
    "version": serializers.CharField(help_text="The API's version: its paths start with `api`."),
    "api": serializers.URLField(help_text="The root of version 1 of the REST API."),
    "docs": serializers.URLField(help_text="Browsable documentation (works offline)."),
    "schema": serializers.URLField(help_text="The OpenAPI 3 schema."),
    "health": serializers.URLField(help_text="Whether the service can serve."),
    "websocket": serializers.CharField(help_text="The live stream (`ws://` or `wss://`), `?token=<token>`."),
})


def ws_url(http_url: str) -> str:
    return "ws" + http_url[len("http"):] if http_url.startswith("http") else http_url


class ApiIndexView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []  # nothing here depends on who asks

    @extend_schema(responses={200: INDEX}, tags=["health"], summary="Where the docs, schema, health and stream are")
    def get(self, request):
        """A small JSON index: the REST API's root, its documentation, schema, health check and websocket."""
        url = request.build_absolute_uri
        return Response({
            "name": "Novosphère",
            "version": "1",
            "api": url(reverse("api-v1-index")),
            "docs": url(reverse("docs")),
            "schema": url(reverse("schema")),
            "health": url(reverse("health")),
            "websocket": ws_url(url("/ws/stream/")),
        })


@extend_schema(exclude=True)
class ApiIndexAliasView(ApiIndexView):
    """The same index at `/` and `/api/`: documented once, at `/api/v1/`."""
