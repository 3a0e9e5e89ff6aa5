"""`GET /api/health/`: can the service serve, and which backends does it use."""

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = True
    except Exception:  # any failure means "cannot serve"; its cause goes to the log
        logger.exception("health: database check failed")
        ok = False
    return {"backend": connection.vendor, "ok": ok}


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    backend = type(layer).__name__ if layer else "none"
    try:
        channel = f"health.{uuid.uuid4().hex}"
        async_to_sync(_round_trip)(layer, channel)
        ok = True
    except Exception:
        logger.exception("health: channel layer check failed")
        ok = False
    return {"backend": backend, "ok": ok}


async def _round_trip(layer, channel: str) -> None:
    import asyncio

    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), timeout=2)


def check_search() -> dict:
    from search.backends import get_search_backend

    backend = get_search_backend()
    return {"backend": backend.name, "ok": backend.ping()}


PART = inline_serializer("HealthPart", {"backend": serializers.CharField(), "ok": serializers.BooleanField()})
HEALTH = inline_serializer(
    "Health",
    {"status": serializers.ChoiceField([("ok", gettext_lazy("ok")), ("unavailable", gettext_lazy("unavailable"))]), "database": PART, "channel_layer": PART, "search": PART},
)


class HealthView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={200: HEALTH, 503: HEALTH}, tags=["health"], summary="Whether the service can serve",
        description="200 `{status: \"ok\", database, channel_layer, search}` when every part the service needs "
        "answers, each with the backend in use; 503 with the same shape, saying which part is down, otherwise. "
        "For load balancers and uptime checks; no credentials needed.",
    )
    def get(self, request):
        parts = {"database": check_database(), "channel_layer": check_channel_layer(), "search": check_search()}
        healthy = all(part["ok"] for part in parts.values())
        body = {"status": "ok" if healthy else "unavailable", **parts}
        if not healthy:
            logger.warning("health: unavailable %s", parts)
        return Response(body, status=200 if healthy else 503)
