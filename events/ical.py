"""iCalendar (RFC 5545) out and in, with the icalendar library.

Out: each event keeps its UID, its times in its own zone (with the VTIMEZONE a
calendar app needs) and its RRULE. In: the file is checked line by line first,
so a malformed file is refused with the number of the line at fault.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar.parser import Contentline

from events.models import Event
from novosphere.rendering import readable_text

PRODID = "-//Novosphère//Événements//FR"


def calendar_for(events, *, name: str, base_url: str = "") -> bytes:
    """An iCalendar file of `events` (each once: recurring ones carry their RRULE)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _text(name))
    for event in events:
        calendar.add_component(_vevent(event, base_url))
    # Times are written with their TZID; calendar apps need the zone's definition beside them.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _text(value: str) -> icalendar.vText:
    """A TEXT value, escaped (RFC 5545 §3.3.11): line breaks become `\\n`, never a new
    content line. An X- property such as X-WR-CALNAME has no type icalendar knows, so
    without this its value went out raw, and a name holding CR/LF broke the calendar."""
    return icalendar.vText(value.replace("\r\n", "\n").replace("\r", "\n"))


def _vevent(event: Event, base_url: str) -> icalendar.Event:
    zone = ZoneInfo(event.timezone)
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.updated.astimezone(UTC))
    component.add("last-modified", event.updated.astimezone(UTC))
    component.add("created", event.created.astimezone(UTC))
    component.add("dtstart", event.start.astimezone(zone))
    component.add("dtend", event.end.astimezone(zone))
    component.add("summary", _text(event.title))
    description = description_of(event)
    if description:
        component.add("description", _text(description))
    location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    if location:
        component.add("location", _text(location))
    elif event.online_url:
        component.add("location", event.online_url)
    if event.latitude is not None and event.longitude is not None:
        component.add("geo", (event.latitude, event.longitude))
    if event.recurrence:
        component.add("rrule", icalendar.vRecur.from_ical(event.recurrence))
    component.add("url", page_url(event, base_url))
    component.add("categories", [event.kind])
    component.add("class", "PUBLIC" if event.visibility == "public" else "PRIVATE")
    return component


def description_of(event: Event) -> str:
    """DESCRIPTION is plain text (RFC 5545): the markdown as a person reads it, then the online link."""
    parts = [readable_text(event.description)]
    if event.online_url:
        parts.append(_("Online: %(url)s") % {"url": event.online_url})
    return "\n\n".join(part for part in parts if part)


def page_url(event: Event, base_url: str) -> str:
    """Where a person goes to see the event: the front end's page when FRONTEND_URL is set,
    else the event in the API."""
    if settings.FRONTEND_URL:
        return settings.FRONTEND_URL + settings.FRONTEND_EVENT_PATH.replace("{slug}", quote(event.slug))
    return base_url + reverse("event-detail", kwargs={"slug": event.slug})


# --- Import ----------------------------------------------------------------------


# Which property of a VEVENT feeds which field of an event, to name the line of a refused value.
PROPERTY_OF_FIELD = {
    "title": "SUMMARY", "description": "DESCRIPTION", "start": "DTSTART", "end": "DTEND",
    "timezone": "DTSTART", "recurrence": "RRULE", "venue": "GEO", "online_url": "URL",
}


class ICalendarError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(_("line %(line)s: %(message)s") % {"line": line, "message": message})
        self.line = line


@dataclass
class ImportedEvent:
    line: int
    uid: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    description: str = ""
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    url: str = ""
    recurrence: str = ""
    properties: dict[str, int] = field(default_factory=dict)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded content lines, each with the number of its first physical line."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            first, previous = lines[-1]
            lines[-1] = (first, previous + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def _scan(text: str) -> list[dict]:
    """Check the structure line by line; answer each VEVENT's line and where its properties are."""
    lines = _logical_lines(text)
    if not lines:
        raise ICalendarError(1, _("the file is empty"))
    stack: list[str] = []
    events: list[dict] = []
    for index, (number, line) in enumerate(lines):
        try:
            name, _params, value = Contentline(line).parts()
        except ValueError:
            raise ICalendarError(number, _("not an iCalendar content line: %(line)s") % {"line": repr(line[:60])}) from None
        name = name.upper()
        if not stack and (name, value.upper()) != ("BEGIN", "VCALENDAR"):
            raise ICalendarError(number, _("expected BEGIN:VCALENDAR"))
        if name == "BEGIN":
            if stack and stack[-1] == "VEVENT" and value.upper() != "VALARM":
                raise ICalendarError(number, _("BEGIN:%(value)s inside a VEVENT (END:VEVENT missing?)") % {"value": value})
            stack.append(value.upper())
            if value.upper() == "VEVENT":
                events.append({"line": number, "properties": {}})
        elif name == "END":
            if not stack or stack[-1] != value.upper():
                raise ICalendarError(number, (_("END:%(value)s does not close %(open)s") % {"value": value, "open": stack[-1]} if stack
                    else _("END:%(value)s closes nothing") % {"value": value}))
            stack.pop()
            if not stack and number != lines[-1][0]:
                raise ICalendarError(lines[index + 1][0], _("content after END:VCALENDAR"))
        elif stack and stack[-1] == "VEVENT":
            events[-1]["properties"].setdefault(name, number)
    if stack:
        raise ICalendarError(lines[-1][0], _("BEGIN:%(value)s is never closed") % {"value": stack[-1]})
    return events


def _as_datetime(value, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # "floating" time: the organizer's local time
            return value.replace(tzinfo=zone)
        return value
    if isinstance(value, date):  # an all-day event
        return datetime.combine(value, time.min, tzinfo=zone)
    raise TypeError(value)


def parse_calendar(data: bytes, *, default_timezone: str | None = None) -> list[ImportedEvent]:
    """The VEVENTs of an iCalendar file; ICalendarError naming the line at fault otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ICalendarError(line, _("the file is not UTF-8 text")) from None
    scanned = _scan(text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:  # the scan catches what this would; kept as a safety net
        raise ICalendarError(1, str(error)) from None
    default_zone_name = default_timezone or settings.TIME_ZONE
    found = []
    for place, component in zip(scanned, calendar.walk("VEVENT"), strict=True):
        line, properties = place["line"], place["properties"]
        for name, message in component.errors:
            raise ICalendarError(properties.get(str(name).upper(), line), f"{name}: {message}")
        for required in ("UID", "DTSTART", "SUMMARY"):
            if required not in component:
                raise ICalendarError(line, _("this VEVENT has no %(property)s") % {"property": required})
        start_value = component.decoded("DTSTART")
        zone_name = getattr(getattr(start_value, "tzinfo", None), "key", None)
        if zone_name is None:
            zone_name = str(component["DTSTART"].params.get("TZID") or default_zone_name)
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone_name, zone = "UTC", ZoneInfo("UTC")
            if getattr(start_value, "tzinfo", None) is None and "TZID" in component["DTSTART"].params:
                raise ICalendarError(properties["DTSTART"], _("unknown time zone %(zone)s") % {"zone": component["DTSTART"].params["TZID"]}) from None
        try:
            start = _as_datetime(start_value, zone)
            if "DTEND" in component:
                end = _as_datetime(component.decoded("DTEND"), zone)
            elif "DURATION" in component:
                end = start + component.decoded("DURATION")
            else:
                end = start + (timedelta(days=1) if not isinstance(start_value, datetime) else timedelta(hours=1))
        except (TypeError, ValueError) as error:
            raise ICalendarError(properties.get("DTEND", properties["DTSTART"]), _("not a date or time: %(error)s") % {"error": error}) from None
        if end <= start:
            raise ICalendarError(properties.get("DTEND", properties.get("DURATION", line)), _("the end comes before the start"))
        geo = component.get("GEO")
        rrule = component.get("RRULE")
        found.append(
            ImportedEvent(
                line=line,
                uid=str(component["UID"])[:255],
                title=str(component["SUMMARY"])[:200] or "Événement",
                start=start,
                end=end,
                timezone=zone_name,
                description=str(component.get("DESCRIPTION", "")),
                location=str(component.get("LOCATION", ""))[:300],
                latitude=geo.latitude if geo is not None else None,
                longitude=geo.longitude if geo is not None else None,
                url=str(component.get("URL", ""))[:500],
                recurrence=rrule.to_ical().decode() if rrule is not None else "",
                properties=properties,
            )
        )
    return found

