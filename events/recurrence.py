"""RFC 5545 recurrence rules: validated and expanded with dateutil's rrule.

Rules expand in the event's own time zone, so a monthly apéro at 19:00 stays at
19:00 local time on both sides of a daylight-saving change.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, rrule, rrulestr
from django.utils.translation import gettext as _

# Finer rules than daily would let one event flood every list and calendar.
ALLOWED_FREQUENCIES = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}
# A hard bound on what one event may expand to in one answer.
MAX_OCCURRENCES = 500


class RecurrenceError(ValueError):
    pass


def normalize(value: str) -> str:
    """The RRULE value without its optional `RRULE:` prefix, upper-cased."""
    value = value.strip()
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:"):]
    return value.upper()


def build(value: str, *, start: datetime, timezone: str) -> rrule:
    """The rule `value` anchored at `start` in `timezone`; RecurrenceError when it is not valid."""
    value = normalize(value)
    if not value or "\n" in value or "DTSTART" in value:
        raise RecurrenceError(_("Give one RRULE value, such as FREQ=MONTHLY;BYDAY=1TH."))
    parts = dict(part.partition("=")[::2] for part in value.split(";"))
    if "FREQ" not in parts:
        raise RecurrenceError(_("FREQ is required."))
    if parts["FREQ"] not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(_("FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY."))
    # An aware start keeps wall-clock times (dateutil replaces fields, it does not add
    # hours) and lets UNTIL be given in UTC, as RFC 5545 asks when DTSTART has a zone.
    local_start = start.astimezone(ZoneInfo(timezone))
    try:
        rule = rrulestr(value, dtstart=local_start)
    except (ValueError, TypeError) as error:
        raise RecurrenceError(_("Not a valid RRULE: %(error)s") % {"error": error}) from None
    if not isinstance(rule, rrule):
        raise RecurrenceError(_("Give one RRULE value."))
    if rule._freq > DAILY:  # belt and braces: rrulestr also knows HOURLY and finer
        raise RecurrenceError(_("FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY."))
    return rule


def occurrences(
    *, rule: str, start: datetime, end: datetime, timezone: str,
    window_start: datetime | None, window_end: datetime | None,
) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) of each occurrence overlapping the window, as aware local times, at most MAX_OCCURRENCES."""
    zone = ZoneInfo(timezone)
    duration = end - start
    series = build(rule, start=start, timezone=timezone)
    after = (window_start - duration).astimezone(zone) if window_start else None
    found = series.xafter(after, inc=True) if after else iter(series)
    for begins in islice(found, MAX_OCCURRENCES):
        if window_end is not None and begins >= window_end:
            return
        finishes = begins + duration
        if window_start is not None and finishes <= window_start:
            continue
        yield begins, finishes


def next_occurrence(*, rule: str, start: datetime, end: datetime, timezone: str, after: datetime,
                    before: datetime) -> tuple[datetime, datetime] | None:
    """The first occurrence starting in (after, before], or None."""
    for begins, finishes in occurrences(
        rule=rule, start=start, end=end, timezone=timezone, window_start=after, window_end=before + timedelta(microseconds=1)
    ):
        if begins > after:
            return begins, finishes
    return None
