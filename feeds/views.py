"""The activity stream over REST: home feed, per-stream activity, notifications."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feeds import selectors, services
from feeds.serializers import (
    ActivityPageSerializer,
    ActivityQuerySerializer,
    MarkedReadSerializer,
    MarkReadSerializer,
    NotificationPageSerializer,
    NotificationQuerySerializer,
)
from novosphere import kinds
from profiles.selectors import viewer_actor
from projects.selectors import project_for_viewer

BAD_PAGING = OpenApiResponse(description="`limit` above 100 or not an integer, or an invalid cursor")
NO_TOKEN = OpenApiResponse(description="no or bad token")


def _query(serializer_class, request: Request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _me(request: Request):
    me = viewer_actor(request.user)
    if me is None:
        raise AuthenticationFailed(_("This account has no profile."))
    return me


def stream_response(request: Request, stream: str) -> Response:
    """A page of one stream's activity that the caller may see (`{results, next}`)."""
    page = selectors.stream_activities(viewer=request.user, stream=stream, **_query(ActivityQuerySerializer, request))
    return Response(ActivityPageSerializer(page).data)


class FeedView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[ActivityQuerySerializer], tags=["feeds"],
        responses={200: ActivityPageSerializer, 400: BAD_PAGING, 401: NO_TOKEN},
        summary="The caller's home timeline: what the streams it follows publish, and its own",
    )
    def get(self, request: Request) -> Response:
        """Newest first; page older with `before=<next>`, catch up with `after=<newer>`."""
        _me(request)
        page = selectors.home_timeline(viewer=request.user, **_query(ActivityQuerySerializer, request))
        return Response(ActivityPageSerializer(page).data)


class ProjectActivityView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[ActivityQuerySerializer], tags=["projects"],
        responses={200: ActivityPageSerializer, 400: BAD_PAGING, 404: OpenApiResponse(description="unknown or hidden project")},
        summary="The project's stream (404 when the project is hidden from the caller)",
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_for_viewer(viewer=request.user, slug=slug)
        return stream_response(request, kinds.stream_key(project))


class NotificationsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[NotificationQuerySerializer], tags=["feeds"],
        responses={200: NotificationPageSerializer, 400: BAD_PAGING, 401: NO_TOKEN},
        summary="Activities that concern the caller, newest first",
    )
    def get(self, request: Request) -> Response:
        _me(request)
        query = _query(NotificationQuerySerializer, request)
        page = selectors.notifications_for(viewer=request.user, **query)
        body = NotificationPageSerializer(
            {"items": page.items, "next": page.next, "unread_count": selectors.unread_count(request.user)}
        ).data
        return Response(body)


class NotificationsReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=MarkReadSerializer, tags=["feeds"],
        responses={200: MarkedReadSerializer, 400: OpenApiResponse(description="neither ids nor all, or both"), 401: NO_TOKEN},
        summary="Mark the caller's notifications read: `{ids: [...]}` or `{all: true}`",
    )
    def post(self, request: Request) -> Response:
        me = _me(request)
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data.get("all") else data.validated_data["ids"]
        marked = services.mark_notifications_read(recipient=me, ids=ids)
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})
