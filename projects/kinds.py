"""The kinds of the projects app: projects, their updates, collaboration requests and responses."""

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from novosphere.kinds import Kind, excerpt, first_words, format_stream_key, register
from novosphere.rendering import plain_text
from projects.models import CollaborationRequest, CollaborationResponse, Project, ProjectUpdate
from projects.selectors import (
    EDITOR_ROLES,
    visible_project_updates,
    visible_projects,
    visible_requests,
    visible_responses_to,
)


class ProjectKind(Kind):
    name = "project"
    model = Project
    stream_prefixes = ("project",)
    hideable = True
    moderation_path = "projects"

    def ident(self, project: Project) -> str:
        return project.slug

    def lookup(self, ident: str) -> Q:
        return Q(slug=ident)

    def name_of(self, project: Project) -> str:
        return project.title

    def content_of(self, project: Project) -> str:
        return excerpt(project.summary)

    def url_of(self, project: Project) -> str:
        return reverse("project-detail", kwargs={"slug": project.slug})

    def stream_key(self, project: Project) -> str:
        return format_stream_key("project", project.slug)

    def publisher(self, prefix: str, ident: str):
        return Project.objects.filter(slug=ident).first()

    def visible_publisher(self, viewer, prefix: str, ident: str) -> bool:
        return visible_projects(viewer).filter(slug=ident).exists()

    def visible_to(self, viewer) -> QuerySet[Project]:
        return visible_projects(viewer)

    def depends_on(self, kind: str, pks):
        if kind == "actor":  # a suspended owner hides the project
            return list(Project.objects.filter(owner__in=pks).values_list("pk", flat=True))
        return None

    def possible_viewers(self, project: Project):
        return project.memberships.values_list("actor_id", flat=True)

    def author_of(self, project: Project):
        return project.owner


class UpdateKind(Kind):
    name = "update"
    model = ProjectUpdate
    hideable = True
    moderation_path = "updates"

    def name_of(self, update: ProjectUpdate) -> str:
        return first_words(plain_text(update.body))

    def content_of(self, update: ProjectUpdate) -> str:
        return excerpt(plain_text(update.body))

    def url_of(self, update: ProjectUpdate) -> str:
        return reverse("project-update-detail", kwargs={"slug": update.project.slug, "update_id": update.pk})

    def visible_to(self, viewer) -> QuerySet[ProjectUpdate]:
        return visible_project_updates(viewer)

    def depends_on(self, kind: str, pks):
        if kind == "project":
            return list(ProjectUpdate.objects.filter(project__in=pks).values_list("pk", flat=True))
        if kind == "actor":
            return list(ProjectUpdate.objects.filter(author__in=pks).values_list("pk", flat=True))
        return None

    def possible_viewers(self, update: ProjectUpdate):
        return update.project.memberships.values_list("actor_id", flat=True)

    def author_of(self, update: ProjectUpdate):
        return update.author


class RequestKind(Kind):
    name = "request"
    model = CollaborationRequest
    activity_types = ("collaboration",)
    moderation_name = "collaboration"
    hideable = True
    moderation_path = "collaborations"

    def name_of(self, request: CollaborationRequest) -> str:
        return request.title

    def content_of(self, request: CollaborationRequest) -> str:
        return excerpt(f"{request.title}. {request.message}")

    def url_of(self, request: CollaborationRequest) -> str:
        return reverse("collaboration-detail", kwargs={"pk": request.pk})

    def visible_to(self, viewer) -> QuerySet[CollaborationRequest]:
        return visible_requests(viewer)

    blocked_through = ("author",)

    def depends_on(self, kind: str, pks):
        if kind == "project":
            found = CollaborationRequest.objects.filter(Q(to_project__in=pks) | Q(from_project__in=pks))
        elif kind == "actor":
            found = CollaborationRequest.objects.filter(author__in=pks)
        else:
            return None
        return list(found.values_list("pk", flat=True))

    def possible_viewers(self, request: CollaborationRequest):
        from profiles.models import Membership
        from projects.selectors import target_side_people

        people = {request.author_id, *target_side_people(request, with_peers=False).values_list("pk", flat=True)}
        for project in (request.to_project, request.from_project):
            if project is not None:
                members = list(project.memberships.values_list("actor_id", flat=True))
                people.update(members)
                # Admins of member organizations see a project their organization edits.
                people.update(Membership.objects.filter(group__in=members).values_list("person_id", flat=True))
        if request.to_project_id:
            people.update(request.to_project.memberships.filter(role__in=EDITOR_ROLES).values_list("actor_id", flat=True))
        return people

    def author_of(self, request: CollaborationRequest):
        return request.author


class ResponseKind(Kind):
    name = "response"
    model = CollaborationResponse

    def name_of(self, response: CollaborationResponse) -> str:
        return _("response to “%(title)s”") % {"title": response.request.title}

    def content_of(self, response: CollaborationResponse) -> str:
        # Its text is for the request's author, the target's side and the responder only.
        return ""

    def url_of(self, response: CollaborationResponse) -> str:
        return reverse("collaboration-responses", kwargs={"pk": response.request_id})

    def visible_to(self, viewer) -> QuerySet[CollaborationResponse]:
        return visible_responses_to(viewer)

    # The responder, and the request's author: the blocker no longer sees that request.
    blocked_through = ("responder", "request__author")

    def depends_on(self, kind: str, pks):
        if kind == "request":
            return list(CollaborationResponse.objects.filter(request__in=pks).values_list("pk", flat=True))
        if kind == "actor":
            return list(CollaborationResponse.objects.filter(responder__in=pks).values_list("pk", flat=True))
        return None

    def possible_viewers(self, response: CollaborationResponse):
        return RequestKind().possible_viewers(response.request)

    def author_of(self, response: CollaborationResponse):
        return response.responder


register(ProjectKind())
register(UpdateKind())
register(RequestKind())
register(ResponseKind())
