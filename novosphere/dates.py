"""Day boundaries in the instance's time zone (`TIME_ZONE`), whatever zone a request runs in."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

# The last second of a day: a deadline given as a date stays open all that day.
LAST_SECOND = time(23, 59, 59)


def end_of_day(day: date) -> datetime:
    """The last second of `day` in the instance's time zone (DST-safe: 23:59:59 always exists once)."""
    return datetime.combine(day, LAST_SECOND, tzinfo=timezone.get_default_timezone())


def end_of_day_in(days: int) -> datetime:
    """The end of the day `days` days from today, today taken in the instance's time zone."""
    return end_of_day(timezone.localdate(timezone=timezone.get_default_timezone()) + timedelta(days=days))
