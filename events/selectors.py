"""Reads about events and territories. Who may see an event is decided here and nowhere else."""

import copy
import heapq
from collections import deque
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.http import Http404

from events import recurrence
from events.models import Attendance, Event, Territory, TerritoryCity
from novosphere.keys import handle_key
from profiles.models import Actor, Membership
from profiles.selectors import viewer_actor
from projects.models import Project, ProjectMember, Visibility

# --- Events ------------------------------------------------------------------


def organizers_circle(me: Actor) -> QuerySet[Event]:
    """Events whose organizers' circle includes `me`: the organizer themself, members and admins
    of an organizing organization or city, members of an organizing project."""
    return Event.objects.filter(
        Q(organizers=me)
        | Q(organizers__in=Membership.objects.filter(person=me).values("group"))
        | Q(organizer_projects__in=ProjectMember.objects.filter(actor=me).values("project"))
    )


def visible_events(viewer=None) -> QuerySet[Event]:
    """Events `viewer` (a user, possibly anonymous) may see.

    public: everyone; members: signed-in users; private: the organizers' circle
    (see `organizers_circle`). Events with a suspended organizer, and events a
    moderator hid, are hidden from everyone.
    """
    events = Event.objects.filter(hidden=False).exclude(organizers__suspended=True)
    me = viewer_actor(viewer)
    if me is None:
        return events.filter(visibility=Visibility.PUBLIC)
    return events.filter(
        Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])
        | Q(pk__in=organizers_circle(me).values("pk"))
    )


def event_for_viewer(*, viewer, slug: str) -> Event:
    """The event `slug` if `viewer` may see it; 404 otherwise, hidden or unknown alike."""
    try:
        return visible_events(viewer).get(slug=slug)
    except Event.DoesNotExist:
        raise Http404 from None


def is_event_admin(*, user, event: Event) -> bool:
    """Admins of an organizer: the organizing person, admins of an organizing organization or
    city, owners and maintainers of an organizing project."""
    me = viewer_actor(user)
    if me is None:
        return False
    organizers = event.organizers.all()
    return (
        organizers.filter(pk=me.pk).exists()
        or Membership.objects.filter(person=me, group__in=organizers, role=Membership.Role.ADMIN).exists()
        or ProjectMember.objects.filter(
            actor=me, project__in=event.organizer_projects.all(),
            role__in=[ProjectMember.Role.OWNER, ProjectMember.Role.MAINTAINER],
        ).exists()
    )


def can_organize_as(*, me: Actor, actor: Actor) -> bool:
    """Whether `me` may name `actor` as an organizer: themself, or a group they administer."""
    if actor.pk == me.pk:
        return True
    return Membership.objects.filter(person=me, group=actor, role=Membership.Role.ADMIN).exists()


def can_organize_for_project(*, me: Actor, project: Project) -> bool:
    return ProjectMember.objects.filter(
        actor=me, project=project, role__in=[ProjectMember.Role.OWNER, ProjectMember.Role.MAINTAINER]
    ).exists() or project.owner_id == me.pk


def with_counts(queryset: QuerySet[Event], viewer) -> QuerySet[Event]:
    """Annotate `attendees_count`, `waitlist_count` and the caller's `attendance_status`."""
    going = Attendance.objects.filter(event=OuterRef("pk"), status=Attendance.Status.GOING)
    waiting = Attendance.objects.filter(event=OuterRef("pk"), status=Attendance.Status.WAITING)
    queryset = queryset.annotate(
        attendees_count=_count(going), waitlist_count=_count(waiting),
    )
    me = viewer_actor(viewer)
    if me is None:
        return queryset.annotate(
            is_going=Value(False, output_field=BooleanField()),
            is_waiting=Value(False, output_field=BooleanField()),
        )
    return queryset.annotate(
        is_going=Exists(going.filter(actor=me)), is_waiting=Exists(waiting.filter(actor=me)),
    )


def _count(attendances: QuerySet[Attendance]):
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    counted = attendances.order_by().values("event").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def events_for_display(viewer, queryset: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """Visible events with everything their serializer reads, in a fixed number of queries."""
    queryset = visible_events(viewer) if queryset is None else queryset
    return with_counts(queryset, viewer).select_related("city", "festival").prefetch_related(
        "organizers", "organizer_projects", "sectors", "skills"
    )


def in_window(queryset: QuerySet[Event], *, start: datetime | None, end: datetime | None) -> list[Event]:
    """The events and occurrences of recurring events that overlap [start, end), by start.

    Each occurrence is a copy of its event whose `start` and `end` are those of the
    occurrence. Without a window, each event appears once.

    At most `EVENTS_MAX_OCCURRENCES_PER_LIST` entries: the series are merged lazily
    in time order and expansion stops there, so what one account's many daily
    events cost a reader is bounded by that figure, not by their number times
    the window's length. The entries kept are the earliest: a narrower window
    shows the rest.
    """
    if start is None and end is None:
        return list(queryset)
    if end is not None:
        queryset = queryset.filter(start__lt=end)
    if start is not None:
        # A recurring series may have started long before the window.
        queryset = queryset.filter(Q(end__gt=start) | ~Q(recurrence=""))
    # Without an end, a series expands over one year from the start of the window.
    series_end = end if end is not None else start + timedelta(days=366)

    def entries(event: Event):
        if not event.recurrence:
            yield event
            return
        for begins, finishes in recurrence.occurrences(
            rule=event.recurrence, start=event.start, end=event.end, timezone=event.timezone,
            window_start=start, window_end=series_end,
        ):
            occurrence = copy.copy(event)
            occurrence.start, occurrence.end = begins, finishes
            occurrence.is_occurrence = True
            yield occurrence

    merged = heapq.merge(*(entries(event) for event in queryset), key=lambda event: (event.start, event.slug))
    return list(islice(merged, settings.EVENTS_MAX_OCCURRENCES_PER_LIST))


def attendance_position(attendance: Attendance) -> int | None:
    """1 for the next person to move up the waiting list; None for someone going."""
    if attendance.status != Attendance.Status.WAITING:
        return None
    return Attendance.objects.filter(
        event_id=attendance.event_id, status=Attendance.Status.WAITING, id__lte=attendance.id
    ).count()


def attendance_list(event: Event) -> list[Attendance]:
    """Going first, then the waiting list in order, each with its `position`."""
    rows = list(
        Attendance.objects.filter(event=event).filter(actor__suspended=False).select_related("actor")
        .order_by("status", "id")  # "going" sorts before "waiting"
    )
    rank = 0
    for row in rows:
        if row.status == Attendance.Status.WAITING:
            rank += 1
            row.position = rank
        else:
            row.position = None
    return rows


# --- Territories -------------------------------------------------------------


def territory_for_viewer(*, handle: str) -> Territory:
    """Territories are public; unknown handles are 404."""
    try:
        return Territory.objects.get(handle_key=handle_key(handle))
    except Territory.DoesNotExist:
        raise Http404 from None


def territory_graph() -> dict[int, list[int]]:
    """Every territory's direct sub-territories, by id: one query, reused for every roll-up."""
    graph: dict[int, list[int]] = {}
    for parent, child in Territory.territories.through.objects.values_list("from_territory", "to_territory"):
        graph.setdefault(parent, []).append(child)
    return graph


def descendants(territory_id: int, graph: dict[int, list[int]]) -> set[int]:
    """The territory and every territory inside it, to any depth."""
    seen = {territory_id}
    queue = deque([territory_id])
    while queue:
        for child in graph.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return seen


def accepted_city_ids(territory_ids: set[int]) -> set[int]:
    """Cities accepted in any of the territories (a pending place grants nothing)."""
    return set(
        TerritoryCity.objects.filter(
            territory_id__in=territory_ids, status=TerritoryCity.Status.ACCEPTED, city__suspended=False
        ).values_list("city_id", flat=True)
    )


def rolled_up_city_ids(territory: Territory, graph: dict[int, list[int]] | None = None) -> set[int]:
    """Cities of the territory and of every territory inside it."""
    return accepted_city_ids(descendants(territory.pk, territory_graph() if graph is None else graph))


def territory_counts(*, viewer, city_ids: set[int]) -> dict[str, int]:
    """What happens in these cities, counting only what `viewer` may see."""
    from novosphere import kinds

    return {
        f"{name}s_count": kinds.kind_named(name).visible_to(viewer).filter(city_id__in=city_ids).count()
        for name in ("actor", "project", "event")
    }


def visible_territories() -> QuerySet[Territory]:
    return Territory.objects.prefetch_related("territories")
