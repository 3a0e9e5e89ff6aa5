"""Every write about events, RSVPs, reminders and territories."""

import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone as django_timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from events import recurrence
from events.models import Attendance, Event, Territory, TerritoryCity
from events.selectors import (
    attendance_position,
    can_organize_as,
    can_organize_for_project,
    descendants,
    is_event_admin,
    territory_graph,
)
from feeds import services as feeds
from novosphere.errors import Conflict, Forbidden, invalid
from novosphere.keys import handle_key
from novosphere.lifecycle import ABSENT, Lifecycle, transition
from novosphere.models import audit
from novosphere.rendering import render_markdown
from profiles.models import Actor, Membership, User
from profiles.selectors import is_group_admin, viewer_actor
from profiles.services import tags_from_slugs
from projects.models import Project, Visibility
from search.sync import index_on_commit

logger = logging.getLogger(__name__)

# Notification reasons of this app. They are plain values of feeds' Notification.reason;
# adding them to feeds.models.Notification.Reason belongs with a feeds migration.
REMINDER = "event_reminder"

RESERVED_SLUGS = {"import"}  # `/api/v1/events/import/` is a path of its own

def render_description(markdown: str) -> str:
    """An event description as sanitized HTML (the same renderer as project updates)."""
    return render_markdown(markdown)


# --- Validation shared by create, update and import -----------------------------


def check_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise invalid(field, _("Not a known IANA time zone, such as Europe/Paris.")) from None


def _check_times(event: Event) -> None:
    if event.start.tzinfo is None or event.end.tzinfo is None:
        raise invalid("start", _("Give times with their offset, such as 2027-03-04T19:00:00+01:00."))
    if event.end <= event.start:
        raise invalid("end", _("The end must come after the start."))
    check_timezone(event.timezone)
    if event.recurrence:
        try:
            recurrence.build(event.recurrence, start=event.start, timezone=event.timezone)
        except recurrence.RecurrenceError as error:
            raise invalid("recurrence", str(error)) from None
        event.recurrence = recurrence.normalize(event.recurrence)


def _check_recurring_quota(event: Event, organizers: list[Actor]) -> None:
    """A recurring series costs every reader of dated lists: an organizer keeps at most
    `EVENTS_MAX_RECURRING_PER_ORGANIZER` of them (one-off events are not counted)."""
    if not event.recurrence:
        return
    series = Event.objects.exclude(recurrence="").exclude(pk=event.pk)
    for organizer in organizers:
        if series.filter(organizers=organizer).count() >= settings.EVENTS_MAX_RECURRING_PER_ORGANIZER:
            raise invalid("recurrence", _("%(name)s already has %(count)d recurring events: end one first.") % {
                "name": organizer.name, "count": settings.EVENTS_MAX_RECURRING_PER_ORGANIZER})


def _check_place(event: Event) -> None:
    # Neither a venue nor an online_url is a place to be announced (Event.place), not an error.
    if (event.latitude is None) != (event.longitude is None):
        raise invalid("venue", _("Give both latitude and longitude, or neither."))
    if event.latitude is not None and not (-90 <= event.latitude <= 90 and -180 <= event.longitude <= 180):
        raise invalid("venue", _("Latitude lies between -90 and 90, longitude between -180 and 180."))


def _check_festival(event: Event, festival: Event | None, me: Actor, user: User) -> None:
    if festival is None:
        return
    if festival.kind != Event.Kind.FESTIVAL:
        raise invalid("festival", _("Only a festival holds a programme."))
    if festival.pk == event.pk or event.kind == Event.Kind.FESTIVAL:
        raise invalid("festival", _("A festival cannot be part of a festival."))
    if not is_event_admin(user=user, event=festival):
        raise Forbidden(_("Only the festival's organizers add events to its programme."))


def _check_organizers(me: Actor, organizers: list[Actor], projects: list[Project]) -> None:
    if not organizers:
        raise invalid("organizers", _("Name at least one organizer."))
    for actor in organizers:
        if not can_organize_as(me=me, actor=actor):
            raise invalid("organizers", _("You may only name yourself or groups you administer: %(handle)s.") % {"handle": actor.handle})
    for project in projects:
        if not can_organize_for_project(me=me, project=project):
            raise invalid("projects", _("You may only name projects you maintain: %(slug)s.") % {"slug": project.slug})


def _unique_slug(base: str) -> str:
    base = (slugify(base) or "evenement")[:70].strip("-") or "evenement"
    if base in RESERVED_SLUGS:
        base = f"{base}-evenement"
    slug, suffix = base, 2
    while Event.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _require_person(user: User) -> Actor:
    me = viewer_actor(user)
    if me is None:
        raise Forbidden(_("Only people can do this."))
    return me


def _apply(event: Event, fields: dict) -> dict:
    """Set plain fields on `event`; returns the relations left to set after saving."""
    relations = {name: fields.pop(name) for name in ("organizers", "projects", "sectors", "skills") if name in fields}
    venue = fields.pop("venue", ...)
    if venue is not ...:
        venue = venue or {}
        event.venue_name = venue.get("name", "")
        event.venue_address = venue.get("address", "")
        event.latitude = venue.get("latitude")
        event.longitude = venue.get("longitude")
    if "description" in fields:
        event.description_html = render_description(fields["description"])
    for name, value in fields.items():
        setattr(event, name, "" if value is None and name in ("recurrence", "online_url") else value)
    return relations


def _set_relations(event: Event, relations: dict) -> None:
    if "organizers" in relations:
        event.organizers.set(relations["organizers"])
    if "projects" in relations:
        event.organizer_projects.set(relations["projects"])
    for name in ("sectors", "skills"):
        if name in relations:
            getattr(event, name).set(tags_from_slugs(relations[name]))


def _publishes(event: Event) -> bool:
    # Activities without a project are public in feeds; only public events may have them.
    return event.visibility == Visibility.PUBLIC


# --- Events --------------------------------------------------------------------


@transaction.atomic
def create_event(*, creator: User, title: str, start: datetime, end: datetime,
                 organizers: list[Actor] | None = None, slug: str | None = None, festival: Event | None = None,
                 uid: str | None = None, **fields) -> Event:
    """A new event by people who administer every organizer they name; none named: the creator organizes."""
    me = _require_person(creator)
    if organizers is None:
        organizers = [me]
    projects = fields.get("projects", [])
    _check_organizers(me, organizers, projects)
    # A taken slug gets the next free one: refusing would tell that a hidden event exists.
    slug = _unique_slug(slug or title)
    event = Event(slug=slug, title=title, start=start, end=end, festival=festival)
    event.uid = uid or f"{slug}-{uuid.uuid4().hex[:12]}@novosphere"
    relations = _apply(event, {"organizers": organizers, **fields})
    _check_times(event)
    _check_recurring_quota(event, organizers)
    _check_place(event)
    _check_festival(event, festival, me, creator)
    event.full_clean(exclude=["organizers"], validate_constraints=False)
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except IntegrityError:
        raise invalid("slug", _("This slug is already taken.")) from None
    _set_relations(event, relations)
    index_on_commit(event)
    if _publishes(event):
        feeds.record(actor=organizers[0], type="Create", object=event,
                     streams=[*organizers, *([event.city] if event.city else []), *_event_projects(event)])
    audit(user=creator, action="event.create", subject=f"event:{slug}")
    logger.info("created event=%s by=%s", slug, me.handle)
    return event


@transaction.atomic
def update_event(*, event: Event, editor: User, **fields) -> Event:
    """Edit an event: admins of an organizer. Raising the capacity moves waiting people up."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not is_event_admin(user=editor, event=event):
        raise Forbidden(_("Only admins of an organizer can edit this event."))
    me = _require_person(editor)
    if "organizers" in fields or "projects" in fields:
        # Only newly named organizers need the editor's authority; present ones stay.
        current = set(event.organizers.all())
        organizers = fields.get("organizers", list(current))
        if not organizers:
            raise invalid("organizers", _("Name at least one organizer."))
        _check_organizers(
            me, [a for a in organizers if a not in current] or [me],
            [p for p in fields.get("projects", []) if p not in set(event.organizer_projects.all())],
        )
    relations = _apply(event, fields)
    _check_times(event)
    if "recurrence" in fields:
        _check_recurring_quota(event, list(fields.get("organizers") or event.organizers.all()))
    _check_place(event)
    if "festival" in fields:
        _check_festival(event, event.festival, me, editor)
    event.full_clean(exclude=["organizers"], validate_constraints=False)
    event.save()
    _set_relations(event, relations)
    index_on_commit(event)
    _fill_free_places(event)
    audit(user=editor, action="event.update", subject=f"event:{event.slug}", fields=sorted(fields))
    logger.info("updated event=%s by=%s", event.slug, editor.username)
    return event


@transaction.atomic
def delete_event(*, event: Event, editor: User) -> None:
    if not is_event_admin(user=editor, event=event):
        raise Forbidden(_("Only admins of an organizer can delete this event."))
    audit(user=editor, action="event.delete", subject=f"event:{event.slug}", title=event.title)
    logger.info("deleted event=%s by=%s", event.slug, editor.username)
    index_on_commit(event)  # its document goes: found now, while the event still exists
    event.delete()


# --- RSVP ----------------------------------------------------------------------


def _lock(event: Event) -> Event:
    # Every RSVP change of one event queues on its row, so places are never oversold.
    return Event.objects.select_for_update().get(pk=event.pk)


def _going_count(event: Event) -> int:
    return Attendance.objects.filter(event=event, status=Attendance.Status.GOING).count()


def _event_projects(event: Event) -> list:
    """The projects an event is attached to: its activity is published on their streams too,
    so that the projects' followers see it."""
    return list(event.organizer_projects.all())


def _fill_free_places(event: Event) -> list[Attendance]:
    """Move the first people of the waiting list up while places are free, in order."""
    free = None if event.capacity is None else event.capacity - _going_count(event)
    waiting = Attendance.objects.filter(
        event=event, status__in=ATTENDANCE_LIFE.sources("move_up")
    ).select_related("actor").order_by("id")
    moved = list(waiting if free is None else waiting[: max(free, 0)])
    for attendance in moved:
        attendance.status = ATTENDANCE_LIFE.check("move_up", attendance.status, refused="")
        attendance.save(update_fields=["status"])
        if _publishes(event):
            feeds.record(actor=attendance.actor, type="Join", object=event, streams=_event_projects(event))
        if attendance.actor.is_remote:
            from federation import rsvp

            rsvp.place_given(attendance)  # their own instance tells them
        logger.info("moved up event=%s actor=%s", event.slug, attendance.actor.handle)
    return moved


@transaction.atomic
def attend(*, event: Event, user: User) -> tuple[Attendance, int | None]:
    """RSVP: going while places last, then waiting in line. Repeating it changes nothing."""
    return _attend(event=event, me=_require_person(user))


@transaction.atomic
def attend_from_remote(*, event: Event, actor: Actor) -> tuple[Attendance, int | None]:
    """A person of another instance RSVPs (their instance's Join): the same places and line."""
    return _attend(event=event, me=actor)


def _attend(*, event: Event, me: Actor) -> tuple[Attendance, int | None]:
    event = _lock(event)
    attendance = Attendance.objects.filter(event=event, actor=me).first()
    if attendance is not None:
        return attendance, attendance_position(attendance)
    full = event.capacity is not None and _going_count(event) >= event.capacity
    attendance = Attendance.objects.create(
        event=event, actor=me, status=ATTENDANCE_LIFE.check("queue" if full else "attend", ABSENT, refused="")
    )
    if attendance.status == Attendance.Status.GOING and _publishes(event):
        feeds.record(actor=me, type="Join", object=event, streams=_event_projects(event))
    logger.info("rsvp event=%s actor=%s status=%s", event.slug, me.handle, attendance.status)
    return attendance, attendance_position(attendance)


@transaction.atomic
def leave(*, event: Event, user: User) -> None:
    """Cancel an RSVP; a freed place goes to the first in the waiting list. Repeating it is harmless."""
    _leave(event=event, me=_require_person(user))


@transaction.atomic
def leave_from_remote(*, event: Event, actor: Actor) -> None:
    """A person of another instance cancels their RSVP (their instance's Leave)."""
    _leave(event=event, me=actor)


def _leave(*, event: Event, me: Actor) -> None:
    event = _lock(event)
    deleted, _ignored = Attendance.objects.filter(
        event=event, actor=me, status__in=ATTENDANCE_LIFE.sources("leave")
    ).delete()
    if deleted:
        _fill_free_places(event)
        logger.info("rsvp cancelled event=%s actor=%s", event.slug, me.handle)


# --- Reminders -----------------------------------------------------------------


def send_event_reminders(*, now: datetime | None = None, ahead: timedelta = timedelta(days=1)) -> int:
    """Notify the people going to an occurrence that starts within `ahead` of `now`, once each.

    Run it as often as you like (a cron every few minutes): each attendance remembers
    the occurrence it was reminded of. Only public events are reminded through the
    activity stream, whose activities are public; see the app's notes.
    """
    now = now or django_timezone.now()
    horizon = now + ahead
    candidates = Event.objects.filter(
        Q(start__gt=now) | ~Q(recurrence=""), visibility=Visibility.PUBLIC, start__lte=horizon
    ).exclude(
        organizers__suspended=True
    )
    sent = 0
    for event in candidates.prefetch_related("organizers"):
        if event.recurrence:
            upcoming = recurrence.next_occurrence(
                rule=event.recurrence, start=event.start, end=event.end, timezone=event.timezone,
                after=now, before=horizon,
            )
            if upcoming is None:
                continue
            begins = upcoming[0]
        elif now < event.start <= horizon:
            begins = event.start
        else:
            continue
        sent += _remind(event, begins)
    logger.info("event reminders sent=%s", sent)
    return sent


@transaction.atomic
def _remind(event: Event, begins: datetime) -> int:
    due = list(
        Attendance.objects.select_for_update()
        .filter(event=event, status=Attendance.Status.GOING, actor__suspended=False)
        .exclude(reminded_for=begins)
        .select_related("actor")
    )
    if not due:
        return 0
    organizer = event.organizers.all()[0]
    feeds.record(
        actor=organizer, type="Announce", object=event, object_type="event",
        notify=[(attendance.actor, REMINDER) for attendance in due],
    )
    Attendance.objects.filter(pk__in=[a.pk for a in due]).update(reminded_for=begins)
    return len(due)


# --- Territories ---------------------------------------------------------------


def _is_territory_admin(user: User, territory: Territory) -> bool:
    """Admins of a city accepted in the territory speak for it."""
    me = viewer_actor(user)
    return me is not None and Membership.objects.filter(
        person=me, role=Membership.Role.ADMIN,
        group__in=TerritoryCity.objects.filter(territory=territory, status=TerritoryCity.Status.ACCEPTED).values("city"),
    ).exists()


# A city's place in a territory: invited (pending) unless an admin of the city
# adds it (accepted at once); accepted later by an admin of the city.
PLACE_LIFE = Lifecycle("territory place", TerritoryCity.Status.values, {
    "invite": transition({ABSENT}, TerritoryCity.Status.PENDING),
    "join": transition({ABSENT, TerritoryCity.Status.PENDING}, TerritoryCity.Status.ACCEPTED),
    "accept": transition({TerritoryCity.Status.PENDING}, TerritoryCity.Status.ACCEPTED),
})

# An RSVP: going while places last, else waiting in line; moved up when a place
# frees; cancelled (the row goes) from either.
ATTENDANCE_LIFE = Lifecycle("attendance", Attendance.Status.values, {
    "attend": transition({ABSENT}, Attendance.Status.GOING),
    "queue": transition({ABSENT}, Attendance.Status.WAITING),
    "move_up": transition({Attendance.Status.WAITING}, Attendance.Status.GOING),
    "leave": transition({Attendance.Status.GOING, Attendance.Status.WAITING}, ABSENT),
})


def _place_city(territory: Territory, city: Actor, user: User) -> TerritoryCity:
    if city.kind != Actor.Kind.CITY:
        raise invalid("city", _("Only cities can be members of a territory."))
    accepted = is_group_admin(user=user, group=city)
    place = TerritoryCity.objects.filter(territory=territory, city=city).first()
    if place is None:
        status = PLACE_LIFE.check("join" if accepted else "invite", ABSENT, refused="")
        place = TerritoryCity.objects.create(territory=territory, city=city, status=status)
    if accepted and PLACE_LIFE.allows("join", place.status):
        place.status = PLACE_LIFE["join"].result
        place.accepted_at = django_timezone.now()
        place.save(update_fields=["status", "accepted_at"])
    return place


def _include(parent: Territory, child: Territory) -> None:
    """Put `child` inside `parent`, refusing any cycle."""
    if parent.pk in descendants(child.pk, territory_graph()):
        raise invalid("territory", _("%(child)s already contains %(parent)s: that would make a cycle.") % {
            "child": child.handle, "parent": parent.handle})
    parent.territories.add(child)


@transaction.atomic
def create_territory(*, creator: User, handle: str, name: str, cities: list[Actor],
                     territories: list[Territory] = ()) -> Territory:
    """A territory by an admin of at least one of its cities; the creator's cities are accepted at once."""
    me = _require_person(creator)
    if not cities:
        raise invalid("cities", _("Name at least one city."))
    if not any(is_group_admin(user=creator, group=city) for city in cities):
        raise Forbidden(_("Only an admin of one of these cities can create this territory."))
    if Territory.objects.filter(handle_key=handle_key(handle)).exists():
        raise invalid("handle", _("This handle is already taken."))
    try:
        with transaction.atomic():
            territory = Territory.objects.create(handle=handle, name=name, created_by=me)
    except IntegrityError:
        raise invalid("handle", _("This handle is already taken.")) from None
    for city in cities:
        _place_city(territory, city, creator)
    for child in territories:
        _include(territory, child)
    audit(user=creator, action="territory.create", subject=f"territory:{handle}",
          cities=[c.handle for c in cities], territories=[t.handle for t in territories])
    logger.info("created territory=%s by=%s", handle, me.handle)
    return territory


@transaction.atomic
def update_territory(*, territory: Territory, editor: User, name: str) -> Territory:
    if not _is_territory_admin(editor, territory):
        raise Forbidden(_("Only admins of the territory's cities can edit it."))
    territory.name = name
    territory.save(update_fields=["name"])
    audit(user=editor, action="territory.update", subject=f"territory:{territory.handle}", name=name)
    return territory


@transaction.atomic
def add_to_territory(*, territory: Territory, editor: User, city: Actor | None = None,
                     child: Territory | None = None) -> Territory:
    """Add a city (pending unless the editor administers it) or a sub-territory; by the territory's city admins."""
    if (city is None) == (child is None):
        raise invalid("city", _("Give either a city or a territory."))
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    if not _is_territory_admin(editor, territory):
        raise Forbidden(_("Only admins of the territory's cities can add to it."))
    if city is not None:
        if TerritoryCity.objects.filter(territory=territory, city=city).exists():
            raise Conflict(_("This city is already in the territory."))
        _place_city(territory, city, editor)
        audit(user=editor, action="territory.add_city", subject=f"territory:{territory.handle}", city=city.handle)
    else:
        if territory.territories.filter(pk=child.pk).exists():
            raise Conflict(_("This territory is already inside."))
        _include(territory, child)
        audit(user=editor, action="territory.add_territory", subject=f"territory:{territory.handle}", child=child.handle)
    return territory


@transaction.atomic
def accept_territory_place(*, territory: Territory, city: Actor, editor: User) -> TerritoryCity:
    """An admin of `city` accepts its place in the territory."""
    if not is_group_admin(user=editor, group=city):
        raise Forbidden(_("Only admins of %(name)s can accept its place.") % {"name": city.name})
    place = TerritoryCity.objects.select_for_update().filter(territory=territory, city=city).first()
    if place is None:
        raise Conflict(_("This city was not invited into the territory."))
    place.status = PLACE_LIFE.check("accept", place.status, refused=_("This city is already in the territory."))
    place.accepted_at = django_timezone.now()
    place.save(update_fields=["status", "accepted_at"])
    audit(user=editor, action="territory.accept", subject=f"territory:{territory.handle}", city=city.handle)
    return place



# --- Import --------------------------------------------------------------------


@transaction.atomic
def import_calendar(*, user: User, data: bytes, organizer: Actor, city: Actor | None) -> dict[str, int]:
    """Create or update the events of an iCalendar file, matched by UID: importing the same file
    twice changes nothing the second time. All or nothing: a bad line refuses the whole file."""
    from events.ical import PROPERTY_OF_FIELD, ICalendarError, parse_calendar

    me = _require_person(user)
    if not can_organize_as(me=me, actor=organizer):
        raise invalid("organizer", _("You may only import for yourself or a group you administer."))
    try:
        parsed = parse_calendar(data)
    except ICalendarError as error:
        raise invalid("file", str(error)) from None
    counts = {"created": 0, "updated": 0}
    for item in parsed:
        fields = {
            "title": item.title, "description": item.description, "start": item.start, "end": item.end,
            "timezone": item.timezone, "recurrence": item.recurrence,
            "venue": {"name": item.location, "address": "", "latitude": item.latitude, "longitude": item.longitude}
            if item.location or item.latitude is not None else None,
            "online_url": item.url if _is_online_link(item.url) and not item.location else "",
        }
        # Neither a place nor a link: the place is to be announced (Event.place), as for an event posted so.
        try:
            existing = Event.objects.select_for_update().filter(uid=item.uid).first()
            if existing is not None:
                if not is_event_admin(user=user, event=existing):
                    raise invalid("file", _("line %(line)s: this UID belongs to an event of other organizers.") % {"line": item.line})
                if _changed(existing, fields, city):
                    update_event(event=existing, editor=user, city=city or existing.city, **fields)
                    counts["updated"] += 1
            else:
                create_event(creator=user, organizers=[organizer], city=city, uid=item.uid, **fields)
                counts["created"] += 1
        except Exception as error:
            detail = getattr(error, "message_dict", None) or getattr(error, "fields", None)
            if isinstance(detail, dict) and "file" not in detail:
                # Name the line of the VEVENT whose content the event refused.
                field_name, messages = next(iter(detail.items()))
                line = item.properties.get(PROPERTY_OF_FIELD.get(field_name, ""), item.line)
                raise invalid("file", _("line %(line)s: %(field)s: %(messages)s") % {
                    "line": line, "field": field_name, "messages": " ".join(str(m) for m in messages)}) from None
            raise
    logger.info("imported calendar organizer=%s created=%s updated=%s", organizer.handle, counts["created"], counts["updated"])
    return counts


def _is_online_link(url: str) -> bool:
    """An iCalendar URL is taken as the online link unless it is this instance's own page of an
    event (what our exports put there: FRONTEND_URL or the API), which is no place to meet."""
    if not url.startswith(("http://", "https://")):
        return False
    own = [base for base in (settings.FRONTEND_URL, settings.PUBLIC_URL) if base]
    return not any(url.startswith(base + "/") for base in own)


def _changed(event: Event, fields: dict, city: Actor | None) -> bool:
    venue = fields.get("venue") or {}
    current = (event.title, event.description, event.start, event.end, event.timezone, event.recurrence,
               event.venue_name, event.latitude, event.longitude, event.online_url, event.city_id)
    wanted = (fields["title"], fields["description"], fields["start"], fields["end"], fields["timezone"],
              recurrence.normalize(fields["recurrence"]) if fields["recurrence"] else "",
              venue.get("name", ""), venue.get("latitude"), venue.get("longitude"), fields["online_url"],
              city.pk if city else event.city_id)
    return current != wanted
