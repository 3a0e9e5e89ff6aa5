"""Moderation over HTTP: staff actions, reports, blocks. Parse, call a service or selector, answer."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation import selectors, services
from moderation.models import Block, Report
from moderation.permissions import IsModerator
from moderation.serializers import (
    BlockSerializer,
    BlockStateSerializer,
    HiddenStateSerializer,
    ModerationInputSerializer,
    ModeratorReportSerializer,
    ReportCreateSerializer,
    ReportQuerySerializer,
    ReportSerializer,
    ResolveInputSerializer,
    SuspensionStateSerializer,
    VerificationStateSerializer,
)
from profiles.models import Actor
from profiles.selectors import actor_by_handle, actor_for_viewer, viewer_actor

NOT_FOUND = OpenApiResponse(description="Unknown, or hidden from the caller: the same answer.")
STAFF_ONLY = {
    401: OpenApiResponse(description="No or bad credentials."),
    403: OpenApiResponse(description="The caller is not a moderator (staff)."),
}


def _reason(request: Request) -> str:
    data = ModerationInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["reason"]


def _me(request: Request) -> Actor:
    me = viewer_actor(request.user)
    if me is None:
        raise AuthenticationFailed(_("This account has no profile."))
    return me


# --- Staff actions -----------------------------------------------------------


class SuspensionView(APIView):
    """Suspend (`suspended=True`) or reinstate an actor; moderators find suspended actors too."""

    permission_classes = [IsModerator]
    suspended = True

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={200: SuspensionStateSerializer, 404: OpenApiResponse(description="No such actor."), **STAFF_ONLY},
        summary="Suspend or reinstate an actor (moderators); an audit row records who, what and why",
    )
    def post(self, request: Request, handle: str) -> Response:
        reason = _reason(request)
        actor = actor_by_handle(Actor.objects.all(), handle)
        if actor is None:
            raise Http404
        changed = services.suspend_actor(actor=actor, suspended=self.suspended, moderator=request.user, reason=reason)
        return Response({"handle": actor.handle, "suspended": self.suspended, "changed": changed})


class VerificationView(APIView):
    """Verify (`verified=True`) a city, or take the verification back; suspended cities are found too."""

    permission_classes = [IsModerator]
    verified = True

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={
            200: VerificationStateSerializer, 400: OpenApiResponse(description="Not a city."),
            404: OpenApiResponse(description="No such actor."), **STAFF_ONLY,
        },
        summary="Verify a city, or take the verification back (moderators); audited",
    )
    def post(self, request: Request, handle: str) -> Response:
        reason = _reason(request)
        city = actor_by_handle(Actor.objects.all(), handle)
        if city is None:
            raise Http404
        changed = services.verify_city(city=city, verified=self.verified, moderator=request.user, reason=reason)
        return Response({"handle": city.handle, "verified": self.verified, "changed": changed})


class HideView(APIView):
    """Hide (`hidden=True`) or show again one project, collaboration request, update or event."""

    permission_classes = [IsModerator]
    kind = "project"
    hidden = True

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={200: HiddenStateSerializer, 404: OpenApiResponse(description="No such object."), **STAFF_ONLY},
        summary="Hide or show again a project, collaboration request, update or event (moderators); audited",
    )
    def post(self, request: Request, **key) -> Response:
        reason = _reason(request)
        declared = services.hideable_kind(self.kind)
        # Moderators act on hidden things too: found whoever may see it.
        thing = declared.find(key.get("slug") or key["pk"])
        if thing is None:
            raise Http404
        changed = services.set_hidden(
            kind=self.kind, pk=thing.pk, hidden=self.hidden, moderator=request.user, reason=reason
        )
        return Response({"type": self.kind, "id": declared.ident(thing), "hidden": self.hidden, "changed": changed})


# --- Reports -----------------------------------------------------------------


class ReportCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "report"

    @extend_schema(
        request=ReportCreateSerializer, tags=["moderation"],
        responses={
            201: ReportSerializer, 200: OpenApiResponse(ReportSerializer, description="Your open report on it, unchanged"),
            404: NOT_FOUND, 429: OpenApiResponse(description="Too many reports."),
        },
        summary="Report an actor, project, collaboration request or update you can see",
    )
    def post(self, request: Request) -> Response:
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report, created = services.report_content(reporter=request.user, **data.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReportListView(generics.ListAPIView):
    permission_classes = [IsModerator]
    serializer_class = ModeratorReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        query = ReportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.reports_for_moderators(query.validated_data.get("status"))

    @extend_schema(
        parameters=[ReportQuerySerializer], tags=["moderation"],
        responses={200: ModeratorReportSerializer(many=True), 400: OpenApiResponse(description="Unknown status."), **STAFF_ONLY},
        summary="Reports, newest first (moderators)",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ReportResolveView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        request=ResolveInputSerializer, tags=["moderation"],
        responses={
            200: ModeratorReportSerializer, 404: OpenApiResponse(description="No such report."),
            409: OpenApiResponse(description="Already resolved, or the content is gone."), **STAFF_ONLY,
        },
        summary="Resolve a report: dismiss, hide the content or suspend (moderators); every open report on the same target goes with it",
    )
    def post(self, request: Request, pk: str) -> Response:
        data = ResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = Report.objects.filter(pk=int(pk)).first()
        if report is None:
            raise Http404
        report = services.resolve_report(report=report, moderator=request.user, **data.validated_data)
        return Response(ModeratorReportSerializer(report).data)


# --- Blocks ------------------------------------------------------------------


class BlockView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "follow"

    @extend_schema(
        request=None, tags=["actors"], responses={200: BlockStateSerializer, 400: OpenApiResponse(description="Yourself, or a city."), 404: NOT_FOUND},
        summary="Block a person or organization: their activity, requests and responses stop reaching you; follows end both ways",
    )
    def post(self, request: Request, handle: str) -> Response:
        target = actor_for_viewer(viewer=request.user, handle=handle)
        services.block_actor(blocker=_me(request), blocked=target, user=request.user)
        return Response({"actor": target.handle, "is_blocked": True})

    @extend_schema(
        request=None, tags=["actors"], responses={200: BlockStateSerializer, 404: NOT_FOUND},
        summary="Unblock (repeating is harmless; follows are not restored)",
    )
    def delete(self, request: Request, handle: str) -> Response:
        target = actor_for_viewer(viewer=request.user, handle=handle)
        services.unblock_actor(blocker=_me(request), blocked=target, user=request.user)
        return Response({"actor": target.handle, "is_blocked": False})


class MyBlocksView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = BlockSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Block.objects.none()
        return selectors.blocks_of(_me(self.request))

    @extend_schema(tags=["auth"], summary="Whom the caller blocks, newest first")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
