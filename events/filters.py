from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from events.models import Event
from profiles.models import Actor
from profiles.selectors import peer_cities


class EventFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(method="filter_city", help_text="Handle of the city.")
    include_peers = django_filters.TypedChoiceFilter(
        method="filter_include_peers", choices=[("1", "1"), ("0", "0"), ("true", "true"), ("false", "false")],
        coerce=lambda value: value in ("1", "true"), empty_value=False,
        help_text="`1` with `city`: also the events of its linked peer cities.",
    )
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices)
    sector = django_filters.CharFilter(method="filter_sector", help_text="A sector tag slug.")
    organizer = django_filters.CharFilter(field_name="organizers__handle", help_text="An organizer's handle.")
    festival = django_filters.CharFilter(field_name="festival__slug", help_text="The festival's slug: its programme.")
    # `from` and `to` bound a window in which recurring events expand into their occurrences;
    # the selector applies them (see `events.selectors.in_window`).
    from_ = django_filters.DateFilter(
        field_name="from", method="keep",
        help_text="A date: events (and occurrences) still going on that day or later.",
    )
    to = django_filters.DateFilter(method="keep", help_text="A date: events starting that day or before.")

    class Meta:
        model = Event
        fields = ["city", "kind", "sector", "organizer", "festival"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["from"] = self.filters.pop("from_")

    def keep(self, queryset, name, value):
        return queryset

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_include_peers(self, queryset, name, value):
        return queryset  # read by `filter_city`

    def filter_city(self, queryset, name, value):
        cities = Actor.objects.filter(kind=Actor.Kind.CITY, handle=value, suspended=False)
        if self.form.cleaned_data.get("include_peers"):
            city = cities.first()
            if city is not None:
                return queryset.filter(Q(city=city) | Q(city__in=peer_cities(city)))
        return queryset.filter(city__in=cities)

    def filter_sector(self, queryset, name, value):
        return queryset.filter(pk__in=Event.objects.filter(sectors__slug=value).values("pk"))

    def window(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the dates asked, in the server's zone; `to` is inclusive."""
        data = self.form.cleaned_data
        zone = timezone.get_current_timezone()
        start = datetime.combine(data["from"], time.min, tzinfo=zone) if data.get("from") else None
        end = datetime.combine(data["to"] + timedelta(days=1), time.min, tzinfo=zone) if data.get("to") else None
        return start, end
