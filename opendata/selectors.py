"""What a city or a territory publishes as open data: its public organizations,
projects and events, read in batches so a large territory never sits in memory.

Public means what an anonymous visitor sees (the same selectors decide it: a
private, members-only or hidden project, an event of a suspended organizer, a
suspended organization are left out). People are not exported: they are
personal data, not the territory's; a project or event names only the
organizations and cities behind it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from events.selectors import visible_events
from profiles.models import Actor
from profiles.selectors import visible_actors
from projects.selectors import visible_projects

LICENCE = {
    "name": "Licence Ouverte / Etalab 2.0",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "spdx": "etalab-2.0",
}


def _slugs(tags) -> list[str]:
    return sorted(tag.slug for tag in tags.all())


def _handle(actor: Actor | None) -> str:
    return actor.handle if actor is not None else ""


def _group_handle(actor: Actor | None) -> str:
    """An organization or a city is named; a person is not (personal data)."""
    return actor.handle if actor is not None and actor.kind != Actor.Kind.PERSON else ""


@dataclass(frozen=True)
class Dataset:
    columns: list[str]
    queryset: Callable[[set[int]], QuerySet]
    row: Callable[[object, str], dict]


def _organizations(city_ids: set[int]) -> QuerySet:
    return (
        visible_actors(None).filter(kind=Actor.Kind.ORGANIZATION, city_id__in=city_ids)
        .select_related("city").prefetch_related("sectors", "skills")
    )


def _organization_row(actor: Actor, base: str) -> dict:
    return {
        "handle": actor.handle, "name": actor.name, "organization_type": actor.organization_type,
        "headline": actor.headline, "city": _handle(actor.city), "country": str(actor.country),
        "sectors": _slugs(actor.sectors), "skills": _slugs(actor.skills),
        "followers_count": actor.followers_count, "url": f"{base}/api/v1/actors/{actor.handle}/",
    }


def _projects(city_ids: set[int]) -> QuerySet:
    return (
        visible_projects(None).filter(city_id__in=city_ids)
        .select_related("city", "owner").prefetch_related("sectors", "needed_skills")
    )


def _project_row(project, base: str) -> dict:
    return {
        "slug": project.slug, "title": project.title, "summary": project.summary, "stage": project.stage,
        "city": _handle(project.city), "owner": _group_handle(project.owner),
        "sectors": _slugs(project.sectors), "needed_skills": _slugs(project.needed_skills),
        "created": project.created.isoformat(), "updated": project.updated.isoformat(),
        "url": f"{base}/api/v1/projects/{project.slug}/",
    }


def _events(city_ids: set[int]) -> QuerySet:
    return (
        visible_events(None).filter(city_id__in=city_ids).distinct()
        .select_related("city").prefetch_related("organizers", "sectors")
    )


def _event_row(event, base: str) -> dict:
    return {
        "slug": event.slug, "title": event.title, "kind": event.kind,
        "start": event.start.isoformat(), "end": event.end.isoformat(), "timezone": event.timezone,
        "city": _handle(event.city), "venue_name": event.venue_name, "venue_address": event.venue_address,
        "latitude": event.latitude, "longitude": event.longitude, "online_url": event.online_url,
        "organizers": sorted(filter(None, (_group_handle(actor) for actor in event.organizers.all()))),
        "sectors": _slugs(event.sectors), "url": f"{base}/api/v1/events/{event.slug}/",
    }


DATASETS = {
    "actors": Dataset(
        ["handle", "name", "organization_type", "headline", "city", "country", "sectors", "skills",
         "followers_count", "url"],
        _organizations, _organization_row,
    ),
    "projects": Dataset(
        ["slug", "title", "summary", "stage", "city", "owner", "sectors", "needed_skills", "created", "updated", "url"],
        _projects, _project_row,
    ),
    "events": Dataset(
        ["slug", "title", "kind", "start", "end", "timezone", "city", "venue_name", "venue_address",
         "latitude", "longitude", "online_url", "organizers", "sectors", "url"],
        _events, _event_row,
    ),
}


def row_batches(*, entity: str, city_ids: set[int], base_url: str) -> Iterator[list[dict]]:
    """The dataset's rows, OPENDATA_BATCH_SIZE at a time, in key order (keyset pages:
    each batch is its own short query, no cursor is held between them)."""
    dataset = DATASETS[entity]
    size = settings.OPENDATA_BATCH_SIZE
    queryset = dataset.queryset(city_ids).order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        batch = list(page[:size])
        if not batch:
            return
        yield [dataset.row(item, base_url) for item in batch]
        last = batch[-1].pk
