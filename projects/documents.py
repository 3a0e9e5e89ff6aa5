"""What projects give to search: title; summary, description, needs, tags and city as body."""

from django.db.models import Q, QuerySet

from profiles.models import Actor
from projects.models import Project, ProjectMember, Visibility
from projects.selectors import visible_projects
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
            hidden=project.owner.suspended,
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
