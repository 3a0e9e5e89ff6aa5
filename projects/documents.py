"""What projects give to search.

Projects: title; summary, description, needs, tags and city as body.
Collaboration requests: title; message, needs, cities, kind and status as body.
"""

from django.db.models import Q, QuerySet

from profiles.models import Actor, CityLink, Membership
from profiles.selectors import peer_cities
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectMember,
)
from projects.selectors import EDITOR_ROLES
from search.registry import Document, DocumentType, register


class ProjectDocuments(DocumentType):
    type = "project"
    model = Project
    kind = "project"

    def queryset(self) -> QuerySet[Project]:
        return Project.objects.select_related("city", "owner").prefetch_related(
            "sectors", "needed_skills", "memberships"
        )

    def document(self, project: Project) -> Document:
        sectors = [tag.slug for tag in project.sectors.all()]
        skills = [tag.slug for tag in project.needed_skills.all()]
        body = "\n".join(
            part
            for part in (
                project.summary,
                project.description,
                project.needs_text,
                " ".join(skills + sectors).replace("-", " "),
                project.city.name if project.city else "",
            )
            if part
        )
        return Document(
            type=self.type,
            object_pk=project.pk,
            ident=project.slug,
            title=project.title,
            body=body,
            kind="",
            city=project.city.handle if project.city else "",
            country=str(project.city.country) if project.city else str(project.owner.country or ""),
            sectors=sectors,
            skills=skills,
            **self.audience(project),
        )

    def dependencies(self):
        def projects_of_actor(actor: Actor) -> list[int]:
            # Owner suspended (hidden) or city renamed.
            return list(Project.objects.filter(Q(owner=actor) | Q(city=actor)).values_list("pk", flat=True))

        return [
            (ProjectMember, lambda member: [member.project_id]),
            (Actor, projects_of_actor),
        ]


register(ProjectDocuments())


class CollaborationDocuments(DocumentType):
    type = "collaboration"
    model = CollaborationRequest
    kind = "request"

    def queryset(self) -> QuerySet[CollaborationRequest]:
        return CollaborationRequest.objects.select_related(
            "author", "origin_city", "to_city", "to_actor", "to_project__owner", "from_project__owner"
        ).prefetch_related(
            "needed_skills", "needed_sectors", "to_project__memberships", "from_project__memberships"
        )

    def document(self, request: CollaborationRequest) -> Document:
        skills = [tag.slug for tag in request.needed_skills.all()]
        sectors = [tag.slug for tag in request.needed_sectors.all()]
        targets = []
        if request.to_city is not None:
            targets.append(request.to_city)
            if request.include_peer_cities:
                targets += list(peer_cities(request.to_city))
        cities = [city for city in (*targets, request.origin_city) if city is not None]
        body = "\n".join(
            part
            for part in (
                request.message,
                " ".join(skills + sectors).replace("-", " "),
                " ".join(city.name for city in cities),
                # The values, not the labels: an index must not depend on the language active when it was written.
                request.kind,
                request.status,
            )
            if part
        )
        # The city facet counts the first target city, else the origin;
        # the `city` filter also finds the request through its other cities.
        return Document(
            type=self.type,
            object_pk=request.pk,
            ident=str(request.pk),
            title=request.title,
            body=body,
            kind=request.kind,
            city=cities[0].handle if cities else "",
            country=str(cities[0].country or "") if cities else "",
            sectors=sectors,
            skills=skills,
            places=list(dict.fromkeys(city.handle for city in cities)),
            **self.audience(request),
        )

    def dependencies(self):
        def involving_projects(project_ids) -> list[int]:
            return list(
                CollaborationRequest.objects.filter(
                    Q(to_project__in=project_ids) | Q(from_project__in=project_ids)
                ).values_list("pk", flat=True)
            )

        def of_actor(actor: Actor) -> list[int]:
            # Author or project owner suspended, a city renamed, a group's target requests.
            owned = Project.objects.filter(owner=actor).values("pk")
            return list(
                CollaborationRequest.objects.filter(
                    Q(author=actor) | Q(to_actor=actor) | Q(to_city=actor) | Q(origin_city=actor)
                    | Q(to_project__in=owned) | Q(from_project__in=owned)
                ).values_list("pk", flat=True)
            )

        def of_membership(membership: Membership) -> list[int]:
            # A new or former admin of a target organization, city or editing group.
            edited = ProjectMember.objects.filter(actor=membership.group_id, role__in=EDITOR_ROLES).values("project")
            return list(
                CollaborationRequest.objects.filter(
                    Q(to_actor=membership.group_id) | Q(to_city=membership.group_id) | Q(to_project__in=edited)
                ).values_list("pk", flat=True)
            )

        def of_city_link(link: CityLink) -> list[int]:
            return list(
                CollaborationRequest.objects.filter(
                    to_city__in=[link.from_city_id, link.to_city_id], include_peer_cities=True
                ).values_list("pk", flat=True)
            )

        return [
            (Project, lambda project: involving_projects([project.pk])),
            (ProjectMember, lambda member: involving_projects([member.project_id])),
            (Actor, of_actor),
            (Membership, of_membership),
            (CityLink, of_city_link),
            (CollaborationResponse, lambda response: [response.request_id]),
        ]


register(CollaborationDocuments())
