"""Thin views: parse, call a service or selector, answer. Hidden events are 404 like unknown ones."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from events import ical, selectors, services
from events import map as event_map
from events.filters import EventFilter
from events.models import Event, Territory, TerritoryCity
from events.serializers import (
    AttendeesCountSerializer,
    AttendeeSerializer,
    EventInputSerializer,
    EventSerializer,
    FeatureCollectionSerializer,
    ImportInputSerializer,
    ImportResultSerializer,
    MapQuerySerializer,
    RsvpSerializer,
    TerritoryInputSerializer,
    TerritoryMemberInputSerializer,
    TerritoryPatchSerializer,
    TerritoryPlaceSerializer,
    TerritorySerializer,
)
from novosphere.errors import invalid
from profiles.models import Actor
from profiles.selectors import actor_for_viewer

ICS = "text/calendar"


def serialized_event(request: Request, event: Event) -> dict:
    fresh = selectors.events_for_display(request.user, Event.objects.filter(pk=event.pk)).get()
    return EventSerializer(fresh, context={"request": request}).data


@extend_schema_view(
    list=extend_schema(
        summary="Events; with `from`/`to`, recurring events appear once per occurrence in the window",
        tags=["events"], responses=EventSerializer(many=True),
        description="Paginated, soonest first, filtered by `city` (with `include_peers=1` its linked cities "
        "too), `kind`, `sector`, `organizer`, `festival` and the dates `from` and `to`. Public events for "
        "everyone, `members` ones for signed-in people, private ones for their organizers' circle.",
        parameters=[OpenApiParameter("include_peers", bool, description="With `city`: its linked peer cities too.")],
    ),
    retrieve=extend_schema(
        summary="An event", tags=["events"], responses=EventSerializer,
        description="With its times in its own zone, its place (`venue`, `online_url`, `place`), counts and the "
        "caller's RSVP. Hidden, unknown and not-for-the-caller are the same 404.",
    ),
    create=extend_schema(
        summary="Create an event; organizers are yourself or groups you administer",
        request=EventInputSerializer, responses={201: EventSerializer}, tags=["events"],
        description="`organizers` may be left out (the caller organizes), and so may `venue` and `online_url` "
        "(the place is to be announced: `place: to_be_announced`). Times carry their offset and `timezone` its "
        "IANA zone; `recurrence` is an RRULE. A public event's creation goes on its organizers' and city's streams.",
    ),
    partial_update=extend_schema(
        summary="Edit an event (admins of an organizer)",
        request=EventInputSerializer(partial=True), responses=EventSerializer, tags=["events"],
        description="Any field but the slug, which never changes; others than its organizers' admins get a "
        "403. Raising `capacity` moves people up from the waiting list, in order.",
    ),
    destroy=extend_schema(
        summary="Delete an event (admins of an organizer)", tags=["events"], responses={204: None},
        description="Its RSVPs and search document go with it; others than its organizers' admins get a 403.",
    ),
)
class EventViewSet(viewsets.ModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = EventSerializer
    filterset_class = EventFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.events_for_display(self.request.user)

    def get_object(self) -> Event:
        return selectors.event_for_viewer(viewer=self.request.user, slug=self.kwargs["slug"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        start, end = filterset.window()
        if start and end and end <= start:
            raise invalid("to", _("`to` must not come before `from`."))
        page = self.paginate_queryset(selectors.in_window(filterset.qs, start=start, end=end))
        return self.get_paginated_response(EventSerializer(page, many=True, context={"request": request}).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = EventInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        event = services.create_event(creator=request.user, **data.validated_data)
        return Response(serialized_event(request, event), status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(serialized_event(request, self.get_object()))

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        event = self.get_object()
        data = EventInputSerializer(event, data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("slug", None)  # the slug is the event's key: it never changes
        services.update_event(event=event, editor=request.user, **fields)
        return Response(serialized_event(request, event))

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_event(event=self.get_object(), editor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="RSVP: going, or in the waiting list when full",
        description="Answers `{status: going | waiting, position}`; repeating it changes nothing. When the "
        "event is full the caller waits in line and moves up, in order, as places free up.",
        request=None, responses={200: RsvpSerializer}, tags=["events"], methods=["POST"],
    )
    @extend_schema(
        summary="Cancel the RSVP",
        description="The place goes to the first of the waiting list. Harmless to repeat.",
        request=None, responses={204: None}, tags=["events"], methods=["DELETE"],
    )
    @action(detail=True, methods=["post", "delete"], permission_classes=[permissions.IsAuthenticated])
    def attend(self, request: Request, slug: str) -> Response:
        event = self.get_object()
        if request.method == "DELETE":
            services.leave(event=event, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        attendance, position = services.attend(event=event, user=request.user)
        return Response({"status": attendance.status, "position": position})

    @extend_schema(
        summary="Attendees: the list for admins of an organizer, the count of people going for others",
        description="Who is going is for the organizers to know: others get only how many.",
        responses={200: OpenApiResponse(
            response=AttendeeSerializer(many=True),
            description="Admins of an organizer: `{count, next, previous, results: [{actor, status, position}]}` "
                        "(going first, then the waiting list in order); others: `{count}` of people going.",
        )},
        tags=["events"],
    )
    @action(detail=True, methods=["get"])
    def attendees(self, request: Request, slug: str) -> Response:
        event = self.get_object()
        if not selectors.is_event_admin(user=request.user, event=event):
            count = event.attendances.filter(status="going", actor__suspended=False).count()
            return Response(AttendeesCountSerializer({"count": count}).data)
        page = self.paginate_queryset(selectors.attendance_list(event))
        return self.get_paginated_response(AttendeeSerializer(page, many=True).data)

    @extend_schema(
        summary="Import an iCalendar file: events matched by UID are updated, the others created",
        request={"multipart/form-data": ImportInputSerializer}, responses={200: ImportResultSerializer},
        tags=["events"],
        description="Multipart `file` (an .ics of at most 1 MB), `organizer` (yourself or a group you "
        "administer) and optional `city`. All or nothing: a malformed file is a 400 naming the line at fault. "
        "Importing the same file twice changes nothing the second time.",
    )
    @action(
        detail=False, methods=["post"], url_path="import", permission_classes=[permissions.IsAuthenticated],
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_calendar(self, request: Request) -> Response:
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = services.import_calendar(
            user=request.user, data=data.validated_data["file"].read(),
            organizer=data.validated_data["organizer"], city=data.validated_data.get("city"),
        )
        return Response(counts)


# --- iCalendar feeds ---------------------------------------------------------------


class ICalendarRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/calendar` through negotiation; errors still come out as JSON text."""

    media_type = ICS
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


def calendar_response(request: Request, events, name: str, filename: str) -> HttpResponse:
    body = ical.calendar_for(events, name=name, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type=f"{ICS}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


ICS_RESPONSE = {(200, ICS): OpenApiResponse(response=OpenApiTypes.STR, description="An iCalendar file")}


class CalendarView(APIView):
    renderer_classes = [renderers.JSONRenderer, ICalendarRenderer]
    permission_classes = [permissions.AllowAny]


class EventCalendarView(CalendarView):
    @extend_schema(summary="One event as iCalendar", responses=ICS_RESPONSE, tags=["events"],
                   description="`text/calendar` with its UID (stable across edits), times in its zone with the "
                   "VTIMEZONE, its RRULE, a plain-text DESCRIPTION and a URL to its page (`FRONTEND_URL`).")
    def get(self, request: Request, slug: str) -> HttpResponse:
        event = selectors.event_for_viewer(viewer=request.user, slug=slug)
        return calendar_response(request, [event], event.title, slug)


class CityCalendarView(CalendarView):
    @extend_schema(summary="Subscribable iCalendar feed of a city's events", responses=ICS_RESPONSE, tags=["events"],
                   description="Every event in the city that the caller may see, each once (recurring ones with "
                   "their RRULE), for calendar apps.")
    def get(self, request: Request, handle: str) -> HttpResponse:
        city = actor_for_viewer(viewer=request.user, handle=handle, kind=Actor.Kind.CITY)
        events = selectors.visible_events(request.user).filter(city=city)
        return calendar_response(request, events, city.name, f"{handle}-events")


class ActorCalendarView(CalendarView):
    @extend_schema(summary="Subscribable iCalendar feed of the events an actor organizes",
                   responses=ICS_RESPONSE, tags=["events"],
                   description="Every event the actor organizes that the caller may see, for calendar apps.")
    def get(self, request: Request, handle: str) -> HttpResponse:
        actor = actor_for_viewer(viewer=request.user, handle=handle)
        events = selectors.visible_events(request.user).filter(organizers=actor)
        return calendar_response(request, events, actor.name, f"{handle}-events")


# --- Territories ---------------------------------------------------------------------


def territory_payload(request: Request, territory: Territory, graph: dict) -> dict:
    places = list(territory.city_places.select_related("city").filter(city__suspended=False))
    return {
        "handle": territory.handle,
        "name": territory.name,
        "cities": sorted(p.city.handle for p in places if p.status == TerritoryCity.Status.ACCEPTED),
        "pending_cities": sorted(p.city.handle for p in places if p.status == TerritoryCity.Status.PENDING),
        "territories": sorted(child.handle for child in territory.territories.all()),
        **selectors.territory_counts(
            viewer=request.user, city_ids=selectors.rolled_up_city_ids(territory, graph)
        ),
    }


@extend_schema_view(
    list=extend_schema(summary="Territories, with counts rolled up through every level", tags=["territories"],
                       responses=TerritorySerializer(many=True),
                       description="Groups of cities (a region, a metropolis, a cross-border area), paginated, each "
                       "with `actors_count`, `projects_count` and `events_count` over every level inside it."),
    retrieve=extend_schema(summary="A territory: accepted cities, sub-territories, rolled-up counts",
                           tags=["territories"], responses=TerritorySerializer,
                           description="Only accepted cities count; `pending_cities` wait for their admins."),
    create=extend_schema(
        summary="Create a territory (an admin of one of its cities); your cities are accepted at once, the others pending",
        request=TerritoryInputSerializer, responses={201: TerritorySerializer}, tags=["territories"],
        description="`{handle, name, cities, territories}`; a city joins only once one of its admins accepts. "
        "A taken handle or a cycle of territories is a 400.",
    ),
    partial_update=extend_schema(summary="Rename a territory (admins of its accepted cities)",
                                 request=TerritoryPatchSerializer, responses=TerritorySerializer, tags=["territories"],
                                 description="`{name}`; others than the admins of its accepted cities get a 403."),
)
class TerritoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    lookup_field = "handle"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = TerritorySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = []

    def get_queryset(self):
        return selectors.visible_territories()

    def get_object(self) -> Territory:
        return selectors.territory_for_viewer(handle=self.kwargs["handle"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        graph = selectors.territory_graph()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([territory_payload(request, t, graph) for t in page])

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(territory_payload(request, self.get_object(), selectors.territory_graph()))

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = TerritoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        territory = services.create_territory(creator=request.user, **data.validated_data)
        return Response(territory_payload(request, territory, selectors.territory_graph()), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        territory = self.get_object()
        data = TerritoryPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_territory(territory=territory, editor=request.user, **data.validated_data)
        return Response(territory_payload(request, territory, selectors.territory_graph()))

    @extend_schema(
        summary="Add a city (pending unless you administer it) or a sub-territory; a cycle is a 400",
        request=TerritoryMemberInputSerializer, responses={201: TerritorySerializer}, tags=["territories"],
        description="`{city}` or `{territory}`, by an admin of one of its accepted cities. A territory that "
        "would end up inside itself is a 400.",
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def members(self, request: Request, handle: str) -> Response:
        territory = self.get_object()
        data = TerritoryMemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.add_to_territory(
            territory=territory, editor=request.user,
            city=data.validated_data.get("city"), child=data.validated_data.get("territory"),
        )
        return Response(territory_payload(request, territory, selectors.territory_graph()), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept the city's place in the territory (admins of the city)",
        request=None, responses={200: TerritoryPlaceSerializer}, tags=["territories"],
        description="From now on the city counts in the territory's totals, exports and map. Others than the "
        "city's admins get a 403.",
    )
    @action(
        detail=True, methods=["post"], url_path=r"cities/(?P<city>[-a-zA-Z0-9_]+)/accept",
        permission_classes=[permissions.IsAuthenticated],
    )
    def accept_city(self, request: Request, handle: str, city: str) -> Response:
        territory = self.get_object()
        place = services.accept_territory_place(
            territory=territory, editor=request.user,
            city=actor_for_viewer(viewer=request.user, handle=city, kind=Actor.Kind.CITY),
        )
        return Response(TerritoryPlaceSerializer(place).data)


# --- Map ---------------------------------------------------------------------------------


GEOJSON = "application/geo+json"


class GeoJSONRenderer(renderers.JSONRenderer):
    """GeoJSON (RFC 7946) is JSON under its own media type, which map libraries recognise."""

    media_type = GEOJSON
    format = "geojson"


class MapView(APIView):
    permission_classes = [permissions.AllowAny]
    # GeoJSON by default (`Accept: */*`, or the GeoJSON type); plain JSON for clients that ask for it.
    renderer_classes = [GeoJSONRenderer, renderers.JSONRenderer]

    def handle_exception(self, exc):
        # An error is not a FeatureCollection: it goes out as the API's ordinary JSON error.
        self.request.accepted_renderer, self.request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        summary="GeoJSON map of actors, projects and events the caller may see",
        description="A GeoJSON (RFC 7946) FeatureCollection, served as `application/geo+json` (`Accept: "
        "application/json` gets the same body as `application/json`). Each feature is a Point at "
        "`[longitude, latitude]`: an organization at its own coordinates, else its city's centre; an event at "
        "its venue, else its city. At most 10,000 features (`truncated` says when more matched): zoom in with "
        "`bbox` or ask `cluster=city`.",
        parameters=[MapQuerySerializer],
        responses={(200, GEOJSON): FeatureCollectionSerializer, (200, "application/json"): FeatureCollectionSerializer},
        tags=["map"],
    )
    def get(self, request: Request) -> Response:
        data = MapQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        query = data.validated_data
        city_ids = None
        if "city" in query:
            city_ids = {query["city"].pk}
        if "territory" in query:
            rolled = selectors.rolled_up_city_ids(query["territory"])
            city_ids = rolled if city_ids is None else city_ids & rolled
        types = [t for t in event_map.TYPES if t in query.get("type", event_map.TYPES)]
        return Response(event_map.map_features(
            viewer=request.user, types=types, kind=query.get("kind"), sector=query.get("sector"),
            city_ids=city_ids, bbox=query.get("bbox"), cluster=query.get("cluster") == "city",
        ))


