"""The event kind."""

from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats

from events.models import Event
from events.selectors import visible_events
from novosphere.kinds import Kind, excerpt, register


class EventKind(Kind):
    name = "event"
    model = Event
    hideable = True
    moderation_path = "events"

    def ident(self, event: Event) -> str:
        return event.slug

    def name_of(self, event: Event) -> str:
        return event.title

    def content_of(self, event: Event) -> str:
        """Its title and start, in the event's own time zone and the reader's language."""
        try:
            local = event.start.astimezone(ZoneInfo(event.timezone))
        except (KeyError, ValueError):
            local = event.start
        return excerpt(f"{event.title}, {formats.date_format(local, 'DATETIME_FORMAT')}")

    def url_of(self, event: Event) -> str:
        return reverse("event-detail", kwargs={"slug": event.slug})

    def visible_to(self, viewer) -> QuerySet[Event]:
        return visible_events(viewer)

    def depends_on(self, kind: str, pks):
        if kind == "actor":  # a suspended organizer hides the event
            return list(Event.objects.filter(organizers__in=pks).values_list("pk", flat=True).distinct())
        return None

    def possible_viewers(self, event: Event):
        # The organizers' circle (events.selectors.organizers_circle), as people.
        from profiles.models import Membership
        from projects.models import ProjectMember

        organizers = list(event.organizers.values_list("pk", flat=True))
        return {
            *organizers,
            *Membership.objects.filter(group__in=organizers).values_list("person_id", flat=True),
            *ProjectMember.objects.filter(project__in=event.organizer_projects.values("pk")).values_list("actor_id", flat=True),
        }

    def author_of(self, event: Event):
        return event.organizers.order_by("pk").first()


register(EventKind())
