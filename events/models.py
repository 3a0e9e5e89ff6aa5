from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from novosphere.keys import FoldedKeyField, KeyedModel, refresh_keys
from profiles.models import Actor, Tag
from projects.models import Visibility

LATITUDE = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE = [MinValueValidator(-180), MaxValueValidator(180)]


class Event(models.Model):
    """A meetup, a conference, a festival and its programme; possibly recurring."""

    class Kind(models.TextChoices):
        MEETUP = "meetup", _("meetup")
        CONFERENCE = "conference", _("conference")
        FESTIVAL = "festival", _("festival")
        WORKSHOP = "workshop", _("workshop")
        HACKATHON = "hackathon", _("hackathon")
        OPEN_DAY = "open_day", _("open day")
        WEBINAR = "webinar", _("webinar")

    class Place(models.TextChoices):
        """Where it happens, as an answer tells it; stored as the venue and online_url it comes from."""

        VENUE = "venue", pgettext_lazy("event place", "at a venue")
        ONLINE = "online", pgettext_lazy("event place", "online")
        HYBRID = "hybrid", pgettext_lazy("event place", "at a venue and online")
        TO_BE_ANNOUNCED = "to_be_announced", pgettext_lazy("event place", "place to be announced")

    # The slug is the key: it never changes once given, and activities and calendar
    # links name the event by it.
    slug = models.SlugField(max_length=80, primary_key=True)
    # The iCalendar UID: stable across edits so calendar apps update rather than duplicate,
    # and the key an import matches on.
    uid = models.CharField(max_length=255, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20000, blank=True)
    description_html = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MEETUP, db_index=True)
    organizers = models.ManyToManyField(Actor, related_name="organized_events")
    organizer_projects = models.ManyToManyField(
        "projects.Project", blank=True, related_name="organized_events"
    )
    city = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="events_here",
        limit_choices_to={"kind": "city"},
    )
    venue_name = models.CharField(max_length=200, blank=True)
    venue_address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True, validators=LATITUDE)
    longitude = models.FloatField(null=True, blank=True, validators=LONGITUDE)
    online_url = models.URLField(max_length=500, blank=True)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="Europe/Paris")
    capacity = models.PositiveIntegerField(null=True, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC, db_index=True
    )
    sectors = models.ManyToManyField(Tag, blank=True, related_name="events_in_sector")
    skills = models.ManyToManyField(Tag, blank=True, related_name="events_with_skill")
    festival = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="programme",
        limit_choices_to={"kind": "festival"},
    )
    recurrence = models.CharField(max_length=500, blank=True, help_text="RFC 5545 RRULE value")
    # A moderator's decision (who, when and why: the audit row): hidden on every path.
    hidden = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_venue(self) -> bool:
        return bool(self.venue_name or self.venue_address or self.latitude is not None)

    @property
    def place(self) -> str:
        if self.has_venue:
            return self.Place.HYBRID if self.online_url else self.Place.VENUE
        return self.Place.ONLINE if self.online_url else self.Place.TO_BE_ANNOUNCED


class Attendance(models.Model):
    """An RSVP: going, or waiting in line (first come, first moved up) when the event is full."""

    class Status(models.TextChoices):
        GOING = "going", _("going")
        WAITING = "waiting", _("waiting")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendances")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(max_length=8, choices=Status.choices, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    # Start of the occurrence the last reminder was sent for: a reminder goes once per occurrence.
    reminded_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The waiting list's order is the order of the rows: id, never a clock that may tie.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "actor"], name="one_rsvp_per_event"),
        ]
        indexes = [models.Index(fields=["event", "status", "id"], name="attendance_line")]

    def __str__(self) -> str:
        return f"{self.actor.handle} {self.status} {self.event.slug}"


class Territory(KeyedModel):
    """A named group of cities and of other territories, to any depth."""

    handle = models.SlugField(max_length=50, unique=True)
    handle_key = FoldedKeyField(source="handle", unique=True)  # case and accents aside (novosphere/keys.py)
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="territories_created"
    )
    cities = models.ManyToManyField(Actor, through="TerritoryCity", related_name="territories")
    territories = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="parents")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["handle"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        refresh_keys(self)
        if self.others_with(handle_key=self.handle_key).exists():
            raise ValidationError({"handle": [_("This handle is already taken.")]})


class TerritoryCity(models.Model):
    """A city's place in a territory: pending until an admin of the city accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("membership status", "pending")
        ACCEPTED = "accepted", pgettext_lazy("membership status", "accepted")

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="city_places")
    city = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="territory_places")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "city"], name="one_place_per_city"),
        ]

    def __str__(self) -> str:
        return f"{self.city.handle} in {self.territory.handle} ({self.status})"
