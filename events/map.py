"""The ecosystem map: what the caller may see, as GeoJSON, in one query per kind of object.

Who may see what is each kind's rule, asked of the registry (`novosphere.kinds`)."""

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import Event
from novosphere import kinds
from profiles.models import Actor
from profiles.selectors import home_city, visible_actors_per_city, withdrawn_actors
from projects.models import Project

TYPES = ("actor", "project", "event")
# One answer never carries more points than a map can draw; zoom in or cluster past that.
MAX_FEATURES = 10_000


def _place(queryset: QuerySet, *, lat, lon, city) -> QuerySet:
    """Annotate `map_lat`, `map_lon` (own coordinates, else the city's) and `map_city`.

    Rows without coordinates are dropped by `_filtered`, which knows whether a bbox
    already implies them.
    """
    return queryset.annotate(
        map_lat=Coalesce(*lat, output_field=FloatField()) if len(lat) > 1 else F(lat[0]),
        map_lon=Coalesce(*lon, output_field=FloatField()) if len(lon) > 1 else F(lon[0]),
        map_city=city,
    )


def actors_on_map(viewer) -> QuerySet[Actor]:
    """Cities at their own coordinates; organizations and people at theirs, else their city's."""
    return _place(
        kinds.kind_named("actor").visible_to(viewer),
        lat=["latitude", "city__latitude"], lon=["longitude", "city__longitude"], city=home_city(),
    )


def projects_on_map(viewer) -> QuerySet[Project]:
    return _place(kinds.kind_named("project").visible_to(viewer), lat=["city__latitude"], lon=["city__longitude"], city=F("city_id"))


def events_on_map(viewer) -> QuerySet[Event]:
    """Current and coming events (and every recurring series) at their venue, else their city."""
    upcoming = kinds.kind_named("event").visible_to(viewer).filter(Q(end__gte=timezone.now()) | ~Q(recurrence=""))
    return _place(
        upcoming, lat=["latitude", "city__latitude"], lon=["longitude", "city__longitude"], city=F("city_id"),
    )


KIND_FIELD = {"actor": "kind", "project": "stage", "event": "kind"}
TITLE_FIELD = {"actor": "name", "project": "title", "event": "title"}
ID_FIELD = {"actor": "handle", "project": "slug", "event": "slug"}


def _sector_filter(model, sector: str):
    through = model.sectors.through
    owner = {Actor: "actor_id", Project: "project_id", Event: "event_id"}[model]
    return Exists(through.objects.filter(**{owner: OuterRef("pk"), "tag__slug": sector}))


def _filtered(kind_of: str, queryset: QuerySet, *, kind, sector, city_ids, bbox) -> QuerySet:
    if kind:
        queryset = queryset.filter(**{KIND_FIELD[kind_of]: kind})
    if sector:
        queryset = queryset.filter(_sector_filter(queryset.model, sector))
    if city_ids is not None:
        queryset = queryset.filter(map_city__in=city_ids)
    if bbox is None:
        return queryset.filter(map_lat__isnull=False, map_lon__isnull=False)
    min_lon, min_lat, max_lon, max_lat = bbox
    if kind_of == "project":
        return queryset.filter(
            city__longitude__range=(min_lon, max_lon), city__latitude__range=(min_lat, max_lat)
        )
    # Said without COALESCE, so the database tests each row's own columns first and looks
    # up a city only for rows placed at their city, found through the city index: a
    # city-sized box reads a few hundred rows, not every actor joined to its city.
    cities_in_box = Actor.objects.filter(
        kind=Actor.Kind.CITY, longitude__range=(min_lon, max_lon), latitude__range=(min_lat, max_lat)
    ).values("pk")
    return queryset.filter(
        Q(latitude__isnull=False, longitude__isnull=False,
          longitude__range=(min_lon, max_lon), latitude__range=(min_lat, max_lat))
        | Q(latitude__isnull=True, longitude__isnull=True, city__in=cities_in_box)
    )


def map_features(*, viewer, types=TYPES, kind=None, sector=None, city_ids=None, bbox=None,
                 cluster: bool = False) -> dict:
    """A GeoJSON FeatureCollection of what `viewer` may see, filtered; clustered per city if asked."""
    sources = {"actor": actors_on_map, "project": projects_on_map, "event": events_on_map}
    # Clustered actors without a sector or a box: the counts kept per city (what every
    # viewer may see alike), not a count of every actor at each request.
    counted = cluster and "actor" in types and sector is None and bbox is None and (
        kinds.kind_named("actor").same_for_every_viewer)
    querysets = {
        kind_of: _filtered(kind_of, sources[kind_of](viewer), kind=kind, sector=sector, city_ids=city_ids, bbox=bbox)
        for kind_of in types
        if not (counted and kind_of == "actor")
    }
    if cluster:
        return _clusters(querysets, actors=visible_actors_per_city(kind=kind, city_ids=city_ids) if counted else None)
    features = []
    truncated = False
    for kind_of, queryset in querysets.items():
        room = MAX_FEATURES - len(features)
        rows = list(
            queryset.order_by().values_list(ID_FIELD[kind_of], TITLE_FIELD[kind_of], KIND_FIELD[kind_of], "map_lon", "map_lat")[: room + 1]
        )
        if len(rows) > room:
            rows, truncated = rows[:room], True
        features.extend(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"type": kind_of, "id": key, "title": title, "kind": sort},
            }
            for key, title, sort, lon, lat in rows
        )
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _clusters(querysets: dict[str, QuerySet], *, actors: dict | None = None) -> dict:
    """One feature per city. `actors`, if given, holds the actors' counts already counted
    ({city id: (count, handle, name, longitude, latitude)}, see `visible_actors_per_city`)."""
    actors = actors or {}
    counts: dict[int, dict[str, int]] = {city_id: {"actor": row[0]} for city_id, row in actors.items()}
    for kind_of, queryset in querysets.items():
        for city_id, number in queryset.order_by().values_list("map_city").annotate(n=Count("pk")):
            if city_id is not None:
                counts.setdefault(city_id, {})[kind_of] = number
    # A withdrawn (suspended) city names no cluster, though its residents stay on the map.
    withdrawn = set(withdrawn_actors().values_list("pk", flat=True))
    # The cities the counts came with are known already; only the others are read.
    cities = [
        (pk, *row[1:]) for pk, row in actors.items()
        if row[3] is not None and row[4] is not None and pk not in withdrawn
    ]
    others = counts.keys() - actors.keys() - withdrawn
    cities += Actor.objects.filter(
        pk__in=others, latitude__isnull=False, longitude__isnull=False
    ).values_list("pk", "handle", "name", "longitude", "latitude") if others else []
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "type": "cluster", "id": handle, "title": name, "kind": "city",
                "count": sum(counts[pk].values()), "counts": counts[pk],
            },
        }
        for pk, handle, name, lon, lat in sorted(cities, key=lambda row: row[1])
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": False}
