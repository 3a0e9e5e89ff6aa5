"""The activity stream over REST: home feed, per-stream activity, notifications."""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, renderers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feeds import atom, public, selectors, services
from feeds.serializers import (
    ActivityPageSerializer,
    ActivityQuerySerializer,
    FollowedSerializer,
    MarkedReadSerializer,
    MarkReadSerializer,
    NotificationPageSerializer,
    NotificationQuerySerializer,
    notification_page_json,
    page_json,
)
from novosphere import kinds
from novosphere.api.pagination import NewestFirstCursorPagination
from profiles.models import Actor
from profiles.selectors import actor_for_viewer, viewer_actor
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
    return Response(page_json(page))


class FeedView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[ActivityQuerySerializer], tags=["feeds"],
        responses={200: ActivityPageSerializer, 400: BAD_PAGING, 401: NO_TOKEN},
        summary="The caller's home timeline: what the streams it follows publish, and its own",
        description="Newest first, as `{results, next}`; page older with `before=<next>`, catch up with "
        "`after=<newer>`; `limit` up to 100. Only what the caller may see, without what those it blocks do, "
        "with `summary` in the caller's language. The websocket `/ws/stream/` pushes the same activities live.",
    )
    def get(self, request: Request) -> Response:
        _me(request)
        page = selectors.home_timeline(viewer=request.user, **_query(ActivityQuerySerializer, request))
        return Response(page_json(page))


class ProjectActivityView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[ActivityQuerySerializer], tags=["projects"],
        responses={200: ActivityPageSerializer, 400: BAD_PAGING, 404: OpenApiResponse(description="unknown or hidden project")},
        summary="The project's stream",
        description="Activities published on `project:<slug>` that the caller may see, newest first, as "
        "`{results, next}`. A project hidden from the caller is the same 404 as an unknown one.",
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
        description="Items `{id, activity, reason, read}` (reasons such as followed, request received, response, "
        "accepted, added to a project, event reminder), with `unread_count`; `unread=1` keeps the unread ones. "
        "Nothing from an account the caller blocks.",
    )
    def get(self, request: Request) -> Response:
        _me(request)
        query = _query(NotificationQuerySerializer, request)
        page, unread_count = selectors.notifications_for(viewer=request.user, **query)
        return Response(notification_page_json(page, unread_count))


class NotificationsReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=MarkReadSerializer, tags=["feeds"],
        responses={200: MarkedReadSerializer, 400: OpenApiResponse(description="neither ids nor all, or both"), 401: NO_TOKEN},
        summary="Mark the caller's notifications read: `{ids: [...]}` or `{all: true}`",
        description="Ids that are not the caller's are ignored; answers how many were marked and the "
        "`unread_count` left. Repeating it is harmless.",
    )
    def post(self, request: Request) -> Response:
        me = _me(request)
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data.get("all") else data.validated_data["ids"]
        marked = services.mark_notifications_read(recipient=me, ids=ids)
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})


# --- Atom feeds of public streams -----------------------------------------------


class AtomRenderer(renderers.BaseRenderer):
    """Lets `Accept: application/atom+xml` through negotiation; errors still come out as JSON text."""

    media_type = "application/atom+xml"
    format = "atom"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


ATOM_RESPONSE = {
    (200, "application/atom+xml"): OpenApiResponse(response=OpenApiTypes.STR, description="An Atom 1.0 feed"),
    (304, "application/atom+xml"): OpenApiResponse(description="unchanged since the `ETag` in `If-None-Match`"),
    (404, "application/json"): OpenApiResponse(description="unknown, or not public"),
}


def atom_response(request: Request, *, key: str, name: str, stream_path: str) -> HttpResponse:
    """The Atom feed of public stream `key`, with `ETag`, and 304 to a matching `If-None-Match`."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    body = atom.stream_feed(
        key=key,
        title=_("%(name)s: activity") % {"name": name},
        base_url=base_url,
        feed_url=request.build_absolute_uri(request.path),
        stream_url=f"{base_url}{stream_path}",
    )
    etag = atom.etag_of(body)
    unchanged = get_conditional_response(request, etag=etag)
    response = unchanged if unchanged is not None else HttpResponse(body, content_type=atom.CONTENT_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    patch_vary_headers(response, ["Accept-Language"])
    return response


class AtomView(APIView):
    renderer_classes = [renderers.JSONRenderer, AtomRenderer]
    permission_classes = [permissions.AllowAny]
    authentication_classes = []  # public activity only, whoever asks


class CityAtomView(AtomView):
    @extend_schema(summary="Atom feed of a city's public activity, newest first", responses=ATOM_RESPONSE,
                   tags=["cities"],
                   description="Atom 1.0 of what anyone may see on the city's stream, for feed readers; no "
                   "credentials are read. `ETag`, and a 304 to a matching `If-None-Match`.")
    def get(self, request: Request, handle: str) -> HttpResponse:
        city = actor_for_viewer(viewer=public.ANONYMOUS, handle=handle, kind=Actor.Kind.CITY)
        return atom_response(request, key=kinds.stream_key(city), name=city.name,
                             stream_path=f"/api/v1/cities/{city.handle}/activity/")


class ActorAtomView(AtomView):
    @extend_schema(summary="Atom feed of an actor's public activity, newest first", responses=ATOM_RESPONSE,
                   tags=["actors"],
                   description="Atom 1.0 of what anyone may see on the actor's stream, for feed readers; no "
                   "credentials are read. `ETag`, and a 304 to a matching `If-None-Match`.")
    def get(self, request: Request, handle: str) -> HttpResponse:
        actor = actor_for_viewer(viewer=public.ANONYMOUS, handle=handle)
        return atom_response(request, key=kinds.stream_key(actor), name=actor.name,
                             stream_path=f"/api/v1/actors/{actor.handle}/activity/")


class ProjectAtomView(AtomView):
    @extend_schema(summary="Atom feed of a public project's activity, newest first", responses=ATOM_RESPONSE,
                   tags=["projects"],
                   description="Atom 1.0 of a public project's stream, for feed readers; a project that is not "
                   "public is a 404. `ETag`, and a 304 to a matching `If-None-Match`.")
    def get(self, request: Request, slug: str) -> HttpResponse:
        project = project_for_viewer(viewer=public.ANONYMOUS, slug=slug)
        return atom_response(request, key=kinds.stream_key(project), name=project.title,
                             stream_path=f"/api/v1/projects/{project.slug}/activity/")


class FollowingView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        tags=["feeds"], responses={200: FollowedSerializer(many=True), 401: NO_TOKEN},
        summary="What the caller follows: people, organizations, cities and projects, newest follow first",
        description="Unfollow with DELETE on the item's `url` + `follow/`; a new account follows its home city.",
    )
    def get(self, request: Request) -> Response:
        me = _me(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.follows_of(viewer=request.user, actor=me), request, view=self)
        return paginator.get_paginated_response(FollowedSerializer(page, many=True).data)
