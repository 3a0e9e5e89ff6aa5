"""What events give to search: title; description (as plain text), venue, organizers,
tags and city as body. Who finds one is the event kind's rule (`events/kinds.py`):
a private event only its organizers' circle, a hidden one or one with a suspended
organizer nobody."""

from django.db.models import Q, QuerySet

from events.models import Event
from novosphere.rendering import plain_text
from profiles.models import Actor, Membership
from projects.models import Project, ProjectMember
from search.registry import Document, DocumentType, register


class EventDocuments(DocumentType):
    type = "event"
    model = Event
    kind = "event"

    def queryset(self) -> QuerySet[Event]:
        return Event.objects.select_related("city").prefetch_related("organizers", "sectors", "skills")

    def document(self, event: Event) -> Document:
        sectors = [tag.slug for tag in event.sectors.all()]
        skills = [tag.slug for tag in event.skills.all()]
        body = "\n".join(
            part
            for part in (
                plain_text(event.description),
                event.venue_name,
                event.venue_address,
                " ".join(organizer.name for organizer in event.organizers.all()),
                " ".join(skills + sectors).replace("-", " "),
                event.city.name if event.city else "",
            )
            if part
        )
        return Document(
            type=self.type,
            object_pk=event.pk,
            ident=event.slug,
            title=event.title,
            body=body,
            kind=event.kind,
            city=event.city.handle if event.city else "",
            country=str(event.city.country or "") if event.city else "",
            sectors=sectors,
            skills=skills,
            **self.audience(event),
        )

    def dependencies(self):
        def of_actor(actor: Actor) -> list:
            # An organizer suspended or renamed, a city renamed.
            return list(Event.objects.filter(Q(organizers=actor) | Q(city=actor)).values_list("pk", flat=True).distinct())

        def of_membership(membership: Membership) -> list:
            # Members of an organizing group are in a private event's circle.
            return list(Event.objects.filter(organizers=membership.group_id).values_list("pk", flat=True))

        def of_project_member(member: ProjectMember) -> list:
            return list(Event.objects.filter(organizer_projects=member.project_id).values_list("pk", flat=True))

        return [
            (Actor, of_actor),
            (Membership, of_membership),
            (ProjectMember, of_project_member),
            (Project, lambda project: list(Event.objects.filter(organizer_projects=project).values_list("pk", flat=True))),
        ]


register(EventDocuments())
