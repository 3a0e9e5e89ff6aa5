from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.models import Attendance, Event, Territory
from events.selectors import visible_events
from novosphere.api.parsers import KeyField
from profiles.serializers import (
    ActorHandleField,
    ActorSummarySerializer,
    CityHandleField,
    TagListField,
)
from projects.models import Visibility
from projects.serializers import VisibleProjectField


@extend_schema_field(OpenApiTypes.STR)
class CityField(CityHandleField):
    """A city, named by its handle (documented as a string, also in lists)."""


@extend_schema_field(OpenApiTypes.STR)
class OrganizerHandleField(ActorHandleField):
    """An organizer, named by its handle."""


@extend_schema_field(OpenApiTypes.STR)
class ProjectSlugField(VisibleProjectField):
    """A co-organizing project the caller may see, named by its slug."""


@extend_schema_field(OpenApiTypes.STR)
class FestivalSlugField(KeyField):
    """A festival the caller may see, named by its slug."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return visible_events(request.user if request else None).filter(kind=Event.Kind.FESTIVAL)


class VenueSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    address = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    latitude = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False, default=None)
    longitude = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False, default=None)


class EventInputSerializer(serializers.Serializer):
    """What POST takes (and PATCH, every field optional there)."""

    slug = serializers.SlugField(max_length=80, required=False, help_text="Made from the title when absent.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False,
                                        help_text="Markdown.")
    kind = serializers.ChoiceField(choices=Event.Kind.choices, required=False)
    organizers = OrganizerHandleField(
        many=True, required=False,
        help_text="Handles: yourself or groups you administer. Optional: left out, you organize it yourself.",
    )
    projects = ProjectSlugField(many=True, required=False,
                                help_text="Slugs of co-organizing projects you own or maintain; their "
                                          "members see the event when it is private.")
    city = CityField(allow_null=True, required=False)
    venue = VenueSerializer(allow_null=True, required=False,
                            help_text="Optional. With neither a venue nor an online_url the place is to be "
                                      "announced (`place: to_be_announced` in the answer).")
    online_url = serializers.URLField(max_length=500, allow_blank=True, allow_null=True, required=False,
                                      help_text="Optional: the link of an online (or hybrid) event.")
    start = serializers.DateTimeField(help_text="ISO 8601 with offset.")
    end = serializers.DateTimeField(help_text="ISO 8601 with offset; after start.")
    timezone = serializers.CharField(max_length=64, required=False, help_text="IANA name, Europe/Paris by default.")
    capacity = serializers.IntegerField(min_value=1, allow_null=True, required=False, help_text="null: unlimited.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    sectors = TagListField()
    skills = TagListField()
    festival = FestivalSlugField(allow_null=True, required=False)
    recurrence = serializers.CharField(max_length=500, allow_blank=True, allow_null=True, required=False,
                                       help_text="An RFC 5545 RRULE value, e.g. FREQ=MONTHLY;BYDAY=1TH.")

    def validate_timezone(self, value: str) -> str:
        from zoneinfo import ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(_("Not a known IANA time zone, such as Europe/Paris.")) from None
        return value

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if self.instance is not None:
            start, end = start or self.instance.start, end or self.instance.end
        if start and end and end <= start:
            raise serializers.ValidationError({"end": [_("The end must come after the start.")]})
        return attrs


class EventSerializer(serializers.ModelSerializer):
    """An event as its readers see it; an occurrence of a recurring event carries its own times."""

    organizers = serializers.SlugRelatedField(slug_field="handle", many=True, read_only=True)
    projects = serializers.SlugRelatedField(source="organizer_projects", slug_field="slug", many=True, read_only=True)
    city = serializers.SlugRelatedField(slug_field="handle", read_only=True)
    venue = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    # Null when the event is in no festival; documented as nullable so clients expect it.
    festival = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    # Empty for events held at a venue: a string, not always a URI.
    online_url = serializers.CharField(read_only=True)
    place = serializers.ChoiceField(
        choices=Event.Place.choices, read_only=True,
        help_text="Where it happens: at its venue, online, both, or `to_be_announced` (neither given yet).",
    )
    recurrence = serializers.SerializerMethodField()
    sectors = TagListField(read_only=True)
    skills = TagListField(read_only=True)
    attendees_count = serializers.IntegerField(read_only=True, default=0)
    waitlist_count = serializers.IntegerField(read_only=True, default=0)
    is_attending = serializers.SerializerMethodField()
    attendance_status = serializers.SerializerMethodField()
    is_occurrence = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "slug", "uid", "title", "description", "description_html", "kind", "organizers", "projects",
            "city", "venue", "online_url", "place", "start", "end", "timezone", "capacity", "visibility",
            "sectors", "skills", "festival", "recurrence", "attendees_count", "waitlist_count",
            "is_attending", "attendance_status", "is_occurrence", "created", "updated",
        ]
        read_only_fields = fields

    @extend_schema_field(VenueSerializer(allow_null=True))
    def get_venue(self, event: Event) -> dict | None:
        if not event.has_venue:
            return None
        return {"name": event.venue_name, "address": event.venue_address,
                "latitude": event.latitude, "longitude": event.longitude}

    def _local(self, event: Event, moment):
        return moment.astimezone(ZoneInfo(event.timezone)).isoformat()

    @extend_schema_field(serializers.DateTimeField())
    def get_start(self, event: Event) -> str:
        return self._local(event, event.start)

    @extend_schema_field(serializers.DateTimeField())
    def get_end(self, event: Event) -> str:
        return self._local(event, event.end)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recurrence(self, event: Event) -> str | None:
        return event.recurrence or None

    @extend_schema_field(serializers.BooleanField())
    def get_is_attending(self, event: Event) -> bool:
        return bool(getattr(event, "is_going", False))

    @extend_schema_field(serializers.ChoiceField(choices=Attendance.Status.choices, allow_null=True))
    def get_attendance_status(self, event: Event) -> str | None:
        if getattr(event, "is_going", False):
            return Attendance.Status.GOING
        if getattr(event, "is_waiting", False):
            return Attendance.Status.WAITING
        return None

    @extend_schema_field(serializers.BooleanField(help_text="One occurrence of a recurring event, in a dated list."))
    def get_is_occurrence(self, event: Event) -> bool:
        return bool(getattr(event, "is_occurrence", False))


class RsvpSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Attendance.Status.choices)
    position = serializers.IntegerField(allow_null=True, help_text="Place in the waiting list (1: next to move up); null when going.")


class AttendeeSerializer(serializers.ModelSerializer):
    actor = ActorSummarySerializer(read_only=True)
    position = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Attendance
        fields = ["actor", "status", "position", "created"]


class AttendeesCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="People going.")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An iCalendar (.ics) file, at most 1 MB.")
    organizer = OrganizerHandleField(help_text="Yourself or a group you administer.")
    city = CityField(required=False, allow_null=True)

    def validate_file(self, value):
        if value.size > 1024 * 1024:
            raise serializers.ValidationError(_("The file is larger than 1 MB."))
        return value


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# --- Territories -----------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class TerritoryHandleField(KeyField):
    folded_field = "handle_key"

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "handle")
        kwargs.setdefault("queryset", Territory.objects.all())
        super().__init__(**kwargs)


class TerritoryInputSerializer(serializers.Serializer):
    handle = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=120)
    cities = CityField(many=True)
    territories = TerritoryHandleField(many=True, required=False)


class TerritoryPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class TerritoryMemberInputSerializer(serializers.Serializer):
    city = CityField(required=False)
    territory = TerritoryHandleField(required=False)

    def validate(self, attrs):
        if ("city" in attrs) == ("territory" in attrs):
            raise serializers.ValidationError({"city": [_("Give either a city or a territory.")]})
        return attrs


class TerritorySerializer(serializers.Serializer):
    handle = serializers.CharField()
    name = serializers.CharField()
    cities = serializers.ListField(child=serializers.CharField(), help_text="Accepted cities only.")
    pending_cities = serializers.ListField(child=serializers.CharField())
    territories = serializers.ListField(child=serializers.CharField())
    actors_count = serializers.IntegerField(help_text="Rolled up through every level.")
    projects_count = serializers.IntegerField()
    events_count = serializers.IntegerField()


class TerritoryPlaceSerializer(serializers.Serializer):
    territory = serializers.CharField(source="territory.handle")
    city = serializers.CharField(source="city.handle")
    status = serializers.CharField()
    accepted_at = serializers.DateTimeField(allow_null=True)


# --- Map -------------------------------------------------------------------------


class BoundingBoxField(serializers.CharField):
    """`minLon,minLat,maxLon,maxLat`: four numbers in range, each min below its max."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        parts = text.split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
            raise serializers.ValidationError(_("Give four numbers: minLon,minLat,maxLon,maxLat."))
        min_lon, min_lat, max_lon, max_lat = numbers
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise serializers.ValidationError(_("Longitudes lie between -180 and 180."))
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise serializers.ValidationError(_("Latitudes lie between -90 and 90."))
        if min_lon >= max_lon or min_lat >= max_lat:
            raise serializers.ValidationError(_("Each minimum must be below its maximum."))
        return tuple(numbers)


class MapQuerySerializer(serializers.Serializer):
    type = serializers.MultipleChoiceField(choices=[("actor", _("actor")), ("project", _("project")), ("event", _("event"))],
                                           required=False,
                                           help_text="Repeat or comma-separate; all by default.")
    kind = serializers.CharField(max_length=20, required=False,
                                 help_text="An actor's kind, a project's stage or an event's kind.")
    sector = serializers.SlugField(required=False)
    city = CityField(required=False)
    territory = TerritoryHandleField(required=False)
    bbox = BoundingBoxField(required=False, help_text="minLon,minLat,maxLon,maxLat")
    cluster = serializers.ChoiceField(choices=[("city", _("one point per city"))], required=False)

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            types = [t for value in data.getlist("type") for t in value.split(",") if t]
            data = {key: data.get(key) for key in data}
            if types:
                data["type"] = types
        return super().to_internal_value(data)


class GeometrySerializer(serializers.Serializer):
    type = serializers.CharField(default="Point")
    coordinates = serializers.ListField(child=serializers.FloatField(), help_text="[longitude, latitude]")


class FeaturePropertiesSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[
        ("actor", _("actor")), ("project", _("project")), ("event", _("event")), ("cluster", _("cluster of points"))
    ])
    id = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    count = serializers.IntegerField(required=False, help_text="Clusters only.")
    counts = serializers.DictField(child=serializers.IntegerField(), required=False, help_text="Clusters only, per type.")


class FeatureSerializer(serializers.Serializer):
    type = serializers.CharField(default="Feature")
    geometry = GeometrySerializer()
    properties = FeaturePropertiesSerializer()


class FeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(default="FeatureCollection")
    features = FeatureSerializer(many=True)
    truncated = serializers.BooleanField(help_text="True when more points matched than one answer carries.")


