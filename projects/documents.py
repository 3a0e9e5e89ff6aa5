"""What projects give to search.

Projects: title; summary, description, needs, tags and city as body.
Collaboration requests: title; message, needs, cities, kind and status as body.
"""

from django.db.models import Q, QuerySet

from profiles.models import Actor, CityLink, Membership
from profiles.selectors import peer_cities, viewer_actor
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectMember,
    Visibility,
)
from projects.selectors import EDITOR_ROLES, visible_projects, visible_requests
from search.registry import Audience, Document, DocumentType, register

AUDIENCES = {
    Visibility.PUBLIC: Audience.PUBLIC,
    Visibility.MEMBERS: Audience.SIGNED_IN,
    Visibility.PRIVATE: Audience.MEMBERS_ONLY,
}


class ProjectDocuments(DocumentType):
    type = "project"
    model = Project

    def queryset(self) -> QuerySet[Project]:
        return Project.objects.select_related("city", "owner").prefetch_related(
            "sectors", "needed_skills", "memberships"
        )

    def visible(self, viewer) -> QuerySet[Project]:
        return visible_projects(viewer)

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
            # Mirrors projects.selectors.visible_projects for indexes that cannot call it.
            audience=AUDIENCES.get(project.visibility, Audience.MEMBERS_ONLY),
            member_ids=sorted(member.actor_id for member in project.memberships.all()),
            hidden=project.owner.suspended or project.hidden,
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


def _admins_of(group_ids: list[int]) -> set[int]:
    group_ids = [pk for pk in group_ids if pk]
    if not group_ids:
        return set()
    return set(
        Membership.objects.filter(group_id__in=group_ids, role=Membership.Role.ADMIN).values_list("person_id", flat=True)
    )


def _withdrawn(project: Project) -> bool:
    """Hidden from everyone by `visible_projects`: owner suspended or hidden by a moderator."""
    return project.owner.suspended or project.hidden


def request_audience(request: CollaborationRequest) -> tuple[str, list[int]]:
    """Who `projects.selectors.visible_requests` lets see `request`, as a stored audience.

    The selector shows a request to whoever may see every project it involves
    (its target project and the project it comes from), and always to its
    author and to the people who speak for its named target. So: public when
    every involved project is public, signed-in when each is public or
    members-only, and otherwise the explicit list of those who may see every
    private one (their members, none if an owner is suspended or a moderator
    hid the project), plus the author and the target's side.
    """
    projects = [p for p in (request.to_project, request.from_project) if p is not None]
    if all(not _withdrawn(p) for p in projects):
        if all(p.visibility == Visibility.PUBLIC for p in projects):
            return Audience.PUBLIC, []
        if all(p.visibility in (Visibility.PUBLIC, Visibility.MEMBERS) for p in projects):
            return Audience.SIGNED_IN, []
    allowed: set[int] | None = None
    for project in projects:
        if _withdrawn(project):
            allowed = set()
        elif project.visibility == Visibility.PRIVATE:
            members = {member.actor_id for member in project.memberships.all()}
            allowed = members if allowed is None else allowed & members
    people = set(allowed or ()) | {request.author_id}
    # _target_side_q: the named target itself, the admins of a target
    # organization or city, and the editors of a target project (directly or
    # as admins of an editing organization).
    if request.to_actor_id:
        people.add(request.to_actor_id)
    people |= _admins_of([request.to_actor_id, request.to_city_id])
    if request.to_project_id:
        editors = [m.actor_id for m in request.to_project.memberships.all() if m.role in EDITOR_ROLES]
        people |= set(editors) | _admins_of(editors)
    return Audience.MEMBERS_ONLY, sorted(people)


class CollaborationDocuments(DocumentType):
    type = "collaboration"
    model = CollaborationRequest

    def queryset(self) -> QuerySet[CollaborationRequest]:
        return CollaborationRequest.objects.select_related(
            "author", "origin_city", "to_city", "to_actor", "to_project__owner", "from_project__owner"
        ).prefetch_related(
            "needed_skills", "needed_sectors", "to_project__memberships", "from_project__memberships"
        )

    def visible(self, viewer) -> QuerySet[CollaborationRequest]:
        return visible_requests(viewer)

    def excluded_for(self, viewer) -> QuerySet | None:
        # The requests of authors the viewer blocks (visible_requests drops them too).
        from moderation.selectors import blocked_by

        me = viewer_actor(viewer)
        if me is None:
            return None
        return CollaborationRequest.objects.filter(author__in=blocked_by(me)).values("pk")

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
        audience, member_ids = request_audience(request)
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
            audience=audience,
            member_ids=member_ids,
            hidden=request.author.suspended or request.hidden,
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
