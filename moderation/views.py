"""Moderation over HTTP: staff actions, reports, blocks. Parse, call a service or selector, answer."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
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


class SuspensionSchema(AutoSchema):
    """One view serves both paths (`suspended=True` or not): each says what it does."""

    def get_summary(self) -> str:
        return "Suspend an actor (moderators)" if self.view.suspended else "Reinstate a suspended actor (moderators)"

    def get_description(self) -> str:
        if self.view.suspended:
            return ("The actor disappears on every path: its profile, projects, requests, events and activity, "
                    "for everyone; its open websockets close. `reason` (optional, at most 500 characters) goes into "
                    "the audit row with the moderator. Repeating it changes nothing (`changed: false`, no row).")
        return ("The actor and what it runs come back where they were. Audited like a suspension; repeating it "
                "changes nothing (`changed: false`).")


class SuspensionView(APIView):
    # Suspend (`suspended=True`) or reinstate an actor; moderators find suspended actors too.

    permission_classes = [IsModerator]
    suspended = True
    schema = SuspensionSchema()

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={200: SuspensionStateSerializer, 404: OpenApiResponse(description="No such actor."), **STAFF_ONLY},
    )
    def post(self, request: Request, handle: str) -> Response:
        reason = _reason(request)
        actor = actor_by_handle(Actor.objects.all(), handle)
        if actor is None:
            raise Http404
        changed = services.suspend_actor(actor=actor, suspended=self.suspended, moderator=request.user, reason=reason)
        return Response({"handle": actor.handle, "suspended": self.suspended, "changed": changed})


class VerificationSchema(AutoSchema):
    """One view serves both paths (`verified=True` or not): each says what it does."""

    def get_summary(self) -> str:
        return "Verify a city (moderators)" if self.view.verified else "Take back a city's verification (moderators)"

    def get_description(self) -> str:
        if self.view.verified:
            return ("The city is shown with `verified: true`: a moderator checked that it speaks for its place "
                    "(a new city starts unverified, and a city its admins rename waits again). The handle is "
                    "matched whatever its case; suspended cities are found too. `reason` (optional) goes into the "
                    "audit row (`city.verify`). Repeating it changes nothing (`changed: false`, no row).")
        return ("The city is shown with `verified: false` again. Audited like a verification (`city.unverify`); "
                "repeating it changes nothing (`changed: false`).")


class VerificationView(APIView):
    # Verify (`verified=True`) a city, or take the verification back.

    permission_classes = [IsModerator]
    verified = True
    schema = VerificationSchema()

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={
            200: VerificationStateSerializer, 400: OpenApiResponse(description="Not a city."),
            404: OpenApiResponse(description="No such actor."), **STAFF_ONLY,
        },
    )
    def post(self, request: Request, handle: str) -> Response:
        reason = _reason(request)
        city = actor_by_handle(Actor.objects.all(), handle)
        if city is None:
            raise Http404
        changed = services.verify_city(city=city, verified=self.verified, moderator=request.user, reason=reason)
        return Response({"handle": city.handle, "verified": self.verified, "changed": changed})


class HideSchema(AutoSchema):
    """One view serves every kind and both directions (`kind`, `hidden`): each path says which."""

    NAMES = {"project": "a project", "collaboration": "a collaboration request", "update": "a project update",
             "event": "an event"}
    GOES = {
        "project": "the project, its activity, its requests' visibility through it and its search document",
        "collaboration": "the request, the activities about it (its creation, responses, acceptance), their "
                         "notifications and its search document",
        "update": "the update, from the project page, feeds and notifications",
        "event": "the event, its activity (its creation, RSVPs, reminders), its search document and its map point",
    }

    def get_summary(self) -> str:
        name = self.NAMES[self.view.kind]
        return f"Hide {name} (moderators)" if self.view.hidden else f"Show {name} again (moderators)"

    def get_description(self) -> str:
        if self.view.hidden:
            return (f"Hidden for everyone on the public paths, moderators included: {self.GOES[self.view.kind]} "
                    "disappear, as if unknown (404). `reason` (optional) goes into the audit row. Repeating it "
                    "changes nothing (`changed: false`).")
        return ("What hiding took away comes back. Audited like hiding; repeating it changes nothing "
                "(`changed: false`).")


class HideView(APIView):
    # Hide (`hidden=True`) or show again one project, collaboration request, update or event.

    permission_classes = [IsModerator]
    kind = "project"
    hidden = True
    schema = HideSchema()

    @extend_schema(
        request=ModerationInputSerializer, tags=["moderation"],
        responses={200: HiddenStateSerializer, 404: OpenApiResponse(description="No such object."), **STAFF_ONLY},
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
        description="`{target_type, target_id, reason, message?}`; `target_id` is the handle, slug or id. "
        "Repeating an open report answers it unchanged (200); what the caller cannot see is a 404, as unknown. "
        "The answer never says who else reported. Rate-limited (`RATE_LIMIT_REPORT`, 30 an hour).",
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
        description="The moderation queue, `status=open` or `resolved`, each with its target and its "
        "reporters. Moderators are staff accounts; anyone else is a 403.",
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
        summary="Resolve a report: dismiss, hide the content or suspend (moderators)",
        description="`{action: dismiss|hide|suspend, reason?}` acts through the same services as the hide and "
        "suspend paths (`suspend` on content suspends its author), and resolves every open report on the same "
        "target. A resolved report is a 409.",
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
        summary="Block a person or organization",
        description="Their activity, requests and responses stop reaching you (feeds, notifications, "
        "websocket, search); follows end both ways and they can no longer follow you or respond to your "
        "requests (403). They are not told. Harmless to repeat; yourself or a city is a 400.",
    )
    def post(self, request: Request, handle: str) -> Response:
        target = actor_for_viewer(viewer=request.user, handle=handle)
        services.block_actor(blocker=_me(request), blocked=target, user=request.user)
        return Response({"actor": target.handle, "is_blocked": True})

    @extend_schema(
        request=None, tags=["actors"], responses={200: BlockStateSerializer, 404: NOT_FOUND},
        summary="Unblock",
        description="Their activity reaches you again from now on; follows that the block ended are not "
        "restored. Harmless to repeat.",
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

    @extend_schema(tags=["auth"], summary="Whom the caller blocks, newest first",
                   description="Items `{actor: {handle, name, kind}, created}`, paginated.")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
