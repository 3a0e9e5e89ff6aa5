"""The moderators' API for federation: domain blocks."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import services
from federation.models import DomainBlock
from federation.serializers import (
    DomainBlockInputSerializer,
    DomainBlockSerializer,
    DomainBlockStateSerializer,
)
from moderation.permissions import IsModerator
from moderation.serializers import ModerationInputSerializer

STAFF_ONLY = {
    401: OpenApiResponse(description="No or bad credentials."),
    403: OpenApiResponse(description="The caller is not a moderator (staff)."),
}


class DomainBlockListView(generics.ListAPIView):
    permission_classes = [IsModerator]
    serializer_class = DomainBlockSerializer
    queryset = DomainBlock.objects.all()

    @extend_schema(tags=["moderation"], summary="Blocked instances (moderators)",
                   description="Domains of other instances (ActivityPub) whose deliveries are dropped, with who "
                   "blocked them, when and why; besides those of `FEDERATION_BLOCKED_DOMAINS`.",
                   responses={200: DomainBlockSerializer(many=True), **STAFF_ONLY})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["moderation"], request=DomainBlockInputSerializer,
        responses={201: DomainBlockStateSerializer, 200: DomainBlockStateSerializer, **STAFF_ONLY},
        summary="Block an instance: its deliveries are dropped, nothing is sent to it (moderators; audited)",
        description="`{domain, reason?}`: what that instance sends is dropped at the inbox and nothing is "
        "delivered to it. 201 when new, 200 (`changed: false`) when already blocked.",
    )
    def post(self, request: Request) -> Response:
        data = DomainBlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block, created = services.block_domain(user=request.user, **data.validated_data)
        return Response({"domain": block.domain, "blocked": True, "changed": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DomainBlockView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        tags=["moderation"], request=ModerationInputSerializer,
        responses={200: DomainBlockStateSerializer, 400: OpenApiResponse(description="Not a domain."), **STAFF_ONLY},
        summary="Unblock an instance (moderators; audited)",
        description="Its deliveries are accepted again; nothing it sent meanwhile comes back. Harmless to repeat "
        "(`changed: false`).",
    )
    def delete(self, request: Request, domain: str) -> Response:
        data = DomainBlockInputSerializer(data={"domain": domain, **({"reason": request.data.get("reason", "")} if isinstance(request.data, dict) else {})})
        data.is_valid(raise_exception=True)
        changed = services.unblock_domain(user=request.user, domain=data.validated_data["domain"],
                                          reason=data.validated_data["reason"])
        return Response({"domain": data.validated_data["domain"], "blocked": False, "changed": changed})
