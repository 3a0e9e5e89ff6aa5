"""Project pages and collaboration requests over HTTP: parse, call a service or selector, answer."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.selectors import actor_for_viewer, viewer_actor
from profiles.serializers import FollowStateSerializer
from profiles.views import FollowMixin
from projects import selectors, services
from projects.filters import CollaborationRequestFilter, ProjectFilter
from projects.models import CollaborationRequest, Project
from projects.serializers import (
    AcceptInputSerializer,
    CollaborationRequestSerializer,
    CollaborationResponseSerializer,
    InvitationSerializer,
    ProjectMemberInputSerializer,
    ProjectMemberSerializer,
    ProjectSerializer,
    ProjectUpdateInputSerializer,
    ProjectUpdateSerializer,
    SuggestionListSerializer,
    project_json,
)

SLUG = r"[-a-zA-Z0-9_]+"
NOT_FOUND = OpenApiResponse(description="Unknown, or hidden from the caller: the same answer.")
REFUSED = {
    403: OpenApiResponse(description="The caller may see this but not do it."),
    404: NOT_FOUND,
    409: OpenApiResponse(description="The object's state does not allow it (the message says why)."),
}


def projects_for(request: Request):
    """Projects the caller may see, ready to serialize."""
    queryset = selectors.visible_projects(request.user).select_related("owner", "city")
    queryset = queryset.prefetch_related("sectors", "needed_skills")
    return selectors.with_project_viewer_state(queryset, request.user)


def serialized_project(request: Request, project: Project) -> dict:
    fresh = projects_for(request).get(pk=project.pk)
    return ProjectSerializer(fresh, context={"request": request}).data


@extend_schema_view(
    list=extend_schema(
        summary="Projects the caller may see", tags=["projects"],
        description="Paginated, filtered by `city`, `stage`, `sector`, `skill_needed` and `owner`. `public` "
        "projects are seen by everyone, `members` ones by signed-in people, `private` ones by their members "
        "only; hidden projects and those of suspended owners by nobody.",
    ),
    retrieve=extend_schema(
        summary="A project page", responses={200: ProjectSerializer, 404: NOT_FOUND}, tags=["projects"],
        description="The project, its needs and counts, and `is_following` for the caller. A project the "
        "caller may not see is the same 404 as an unknown slug.",
    ),
    create=extend_schema(
        summary="Create a project; the caller (or the organization named as owner) owns it",
        request=ProjectSerializer, responses={201: ProjectSerializer}, tags=["projects"],
        description="The slug is made from the title when absent. The owner is the caller or an organization "
        "the caller administers (the caller then joins as maintainer); it is listed as a member with role "
        "`owner`. Its creation is published on its owner's and city's streams, for those who may see it.",
    ),
    partial_update=extend_schema(
        summary="Edit a project (owners and maintainers)",
        request=ProjectUpdateInputSerializer, responses={200: ProjectSerializer, **REFUSED}, tags=["projects"],
        description="Any field but the owner. Making a project private hides it, its activity and its search "
        "document from everyone but its members at once.",
    ),
    destroy=extend_schema(
        summary="Delete a project (owners)", responses={204: None, **REFUSED}, tags=["projects"],
        description="By an owner (else 403). Its members, updates and the requests to it go with it.",
    ),
    follow=extend_schema(tags=["projects"], responses={200: FollowStateSerializer, 404: NOT_FOUND}),
)
class ProjectViewSet(FollowMixin, viewsets.ModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return projects_for(self.request)

    def get_object(self) -> Project:
        return selectors.project_for_viewer(viewer=self.request.user, slug=self.kwargs["slug"])

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = ProjectSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        project = services.create_project(creator=request.user, **data.validated_data)
        return Response(serialized_project(request, project), status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(project_json(selectors.project_page(viewer=request.user, slug=self.kwargs["slug"])))

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        project = self.get_object()
        data = ProjectUpdateInputSerializer(project, data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        services.update_project(project=project, editor=request.user, **data.validated_data)
        return Response(serialized_project(request, project))

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_project(project=self.get_object(), editor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"], summary="Members and their roles; the owner is listed with role `owner`",
        responses={200: ProjectMemberSerializer(many=True), 404: NOT_FOUND}, tags=["projects"],
        description="Paginated items `{actor: {handle, name, kind}, role, status}`; open invitations "
        "(`status: invited`, which grant nothing yet) are shown to those who manage members.",
    )
    @extend_schema(
        methods=["POST"], summary="Invite someone (`status: invited`), or change a member's role, as the role rules allow",
        request=ProjectMemberInputSerializer, responses={201: ProjectMemberSerializer, **REFUSED}, tags=["projects"],
        description="Owners give every role, maintainers `maintainer` and `contributor` (else 403). A person or "
        "organization not yet a member is invited and joins by accepting; the last owner cannot be demoted (409).",
    )
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, **kwargs) -> Response:
        project = self.get_object()
        if request.method == "POST":
            data = ProjectMemberInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            membership = services.add_project_member(project=project, editor=request.user, **data.validated_data)
            return Response(ProjectMemberSerializer(membership).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.project_members(project, viewer=request.user))
        return self.get_paginated_response(ProjectMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Accept an invitation (the invited person, or an admin of the invited organization)",
        request=None, responses={200: ProjectMemberSerializer, **REFUSED}, tags=["projects"],
        description="`{handle}` is the invited actor. Only then is it a member, with the invited role; no open "
        "invitation is a 409.",
    )
    @action(detail=True, methods=["post"], url_path=rf"members/(?P<handle>{SLUG})/accept",
            permission_classes=[permissions.IsAuthenticated])
    def accept_invitation(self, request: Request, slug: str, handle: str) -> Response:
        actor = actor_for_viewer(viewer=request.user, handle=handle)
        project = selectors.project_for_invitee(viewer=request.user, slug=slug)
        membership = services.accept_project_invitation(project=project, user=request.user, actor=actor)
        return Response(ProjectMemberSerializer(membership).data)

    @extend_schema(
        summary="Decline an invitation (the invited person, or an admin of the invited organization)",
        request=None, responses={204: None, **REFUSED}, tags=["projects"],
        description="The invitation is gone and granted nothing; no open invitation is a 409.",
    )
    @action(detail=True, methods=["post"], url_path=rf"members/(?P<handle>{SLUG})/decline",
            permission_classes=[permissions.IsAuthenticated])
    def decline_invitation(self, request: Request, slug: str, handle: str) -> Response:
        actor = actor_for_viewer(viewer=request.user, handle=handle)
        project = selectors.project_for_invitee(viewer=request.user, slug=slug)
        services.decline_project_invitation(project=project, user=request.user, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Leave (yourself), remove a member or withdraw an invitation, as the role rules allow; the last owner stays",
        request=None, responses={204: None, **REFUSED}, tags=["projects"],
        description="Anyone may leave; owners and maintainers remove the roles they may give (else 403). The "
        "last owner can neither leave nor be removed (409).",
    )
    @action(detail=True, methods=["delete"], url_path=rf"members/(?P<handle>{SLUG})", permission_classes=[permissions.IsAuthenticated])
    def remove_member(self, request: Request, slug: str, handle: str) -> Response:
        project = self.get_object()
        actor = actor_for_viewer(viewer=request.user, handle=handle)
        services.remove_project_member(project=project, editor=request.user, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"], summary="News posts on the project page, newest first",
        responses={200: ProjectUpdateSerializer(many=True), 404: NOT_FOUND}, tags=["projects"],
        description="Paginated `{id, author, body, html, published}`: `body` as written (markdown), `html` its "
        "sanitized rendering. Posts a moderator hid, or by suspended authors, are left out.",
    )
    @extend_schema(
        methods=["POST"], summary="Post an update in markdown (owners and maintainers); answered with its sanitized HTML",
        request=ProjectUpdateSerializer, responses={201: ProjectUpdateSerializer, **REFUSED}, tags=["projects"],
        description="`{body}` in markdown (at most 20,000 characters); raw HTML is shown as text, images become "
        "links. The post is published on the project's stream, to its followers.",
    )
    @action(detail=True, methods=["get", "post"])
    def updates(self, request: Request, **kwargs) -> Response:
        project = self.get_object()
        if request.method == "POST":
            data = ProjectUpdateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            update = services.post_update(project=project, author=request.user, body=data.validated_data["body"])
            return Response(ProjectUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.visible_updates(project))
        return self.get_paginated_response(ProjectUpdateSerializer(page, many=True).data)

    @extend_schema(
        summary="One news post of the project",
        description="404 when the project is hidden from the caller, or the post is unknown, belongs to another "
        "project, was hidden by a moderator or is by a suspended author.",
        responses={200: ProjectUpdateSerializer, 404: NOT_FOUND}, tags=["projects"],
    )
    @action(detail=True, methods=["get"], url_path=r"updates/(?P<update_id>[0-9]{1,18})")
    def update_detail(self, request: Request, slug: str, update_id: str) -> Response:
        project = self.get_object()
        update = get_object_or_404(selectors.visible_updates(project), pk=int(update_id))
        return Response(ProjectUpdateSerializer(update).data)


# --- Collaboration requests --------------------------------------------------

TRANSITION_SCHEMA = {"request": None, "responses": {200: CollaborationRequestSerializer, **REFUSED}, "tags": ["collaborations"]}


@extend_schema_view(
    list=extend_schema(
        summary="Collaboration requests the caller may see, newest first (past-deadline ones read as closed)",
        tags=["collaborations"],
        description="Paginated, filtered by `status`, `kind`, `city` and `incoming=1` (addressed to the caller, "
        "its organizations, projects or city). A request involving a project the caller may not see is left "
        "out (its author and its target's side still see it), as are those by suspended or blocked authors.",
    ),
    retrieve=extend_schema(
        summary="A collaboration request", responses={200: CollaborationRequestSerializer, 404: NOT_FOUND},
        tags=["collaborations"],
        description="Its target, needs, status, deadline and `responses_count`. One the caller may not see is "
        "the same 404 as an unknown id.",
    ),
    create=extend_schema(
        summary="Open a request to exactly one actor, project or city; its side is notified",
        request=CollaborationRequestSerializer, responses={201: CollaborationRequestSerializer}, tags=["collaborations"],
        description="Exactly one of `to_actor`, `to_project`, `to_city` (with `include_peer_cities`, a city's "
        "linked cities are reached too). `deadline` may be left out (the end of the day 30 days on) or given as "
        "a date (the end of that day, Europe/Paris); a past one is a 400. The target's side (the person, the "
        "admins of the organization or city, the project's owners and maintainers) is notified. "
        "Rate-limited (`RATE_LIMIT_COLLABORATION`).",
    ),
)
class CollaborationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CollaborationRequestSerializer
    filterset_class = CollaborationRequestFilter
    lookup_value_regex = r"[0-9]+"
    # Opening a request and answering one are rate-limited (settings.RATE_LIMITS); reading is not.
    WRITE_THROTTLE_SCOPES = {"create": "collaboration", "responses": "response"}

    def get_throttles(self):
        writing = self.request.method == "POST"
        self.throttle_scope = self.WRITE_THROTTLE_SCOPES.get(self.action) if writing else None
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no reads, no auto-close
            return CollaborationRequest.objects.none()
        # Auto-close happens on read: list and detail first close what is past its deadline.
        services.close_expired_requests()
        queryset = selectors.visible_requests(self.request.user)
        return queryset.select_related(
            "author", "from_project", "origin_city", "to_actor", "to_project", "to_city"
        ).prefetch_related("needed_skills", "needed_sectors")

    def get_object(self) -> CollaborationRequest:
        services.close_expired_requests()
        return selectors.request_for_viewer(viewer=self.request.user, pk=self.kwargs["pk"])

    def _answer(self, request_obj: CollaborationRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=request_obj.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.open_collaboration(author=request.user, **data.validated_data)
        return self._answer(created, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._answer(self.get_object())

    @extend_schema(
        methods=["GET"], summary="Responses to the request",
        responses={200: CollaborationResponseSerializer(many=True), 404: NOT_FOUND}, tags=["collaborations"],
        description="All of them for the request's author and its target's side, a responder's own for a "
        "responder, none for anyone else (who sees `responses_count`). Paginated.",
    )
    @extend_schema(
        methods=["POST"], summary="Offer to collaborate (one open response each), possibly for your organization or project",
        request=CollaborationResponseSerializer, responses={201: CollaborationResponseSerializer, **REFUSED},
        tags=["collaborations"],
        description="`{message}`, optionally `on_behalf_of` (an organization you administer) or "
        "`on_behalf_of_project` (a project you belong to). Only an open request takes responses (409); the "
        "author is notified. Someone the author blocks is refused (403). Rate-limited (`RATE_LIMIT_RESPONSE`).",
    )
    @action(detail=True, methods=["get", "post"], serializer_class=CollaborationResponseSerializer)
    def responses(self, request: Request, **kwargs) -> Response:
        request_obj = self.get_object()
        if request.method == "POST":
            data = CollaborationResponseSerializer(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            response = services.respond_to_request(request=request_obj, responder=request.user, **data.validated_data)
            return Response(CollaborationResponseSerializer(response).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.visible_responses(request_obj, request.user))
        return self.get_paginated_response(CollaborationResponseSerializer(page, many=True).data)

    @extend_schema(summary="Accept one response (the author)", request=AcceptInputSerializer,
                   responses=TRANSITION_SCHEMA["responses"], tags=["collaborations"],
                   description="`{response}`: the id of one of its responses. The request becomes `accepted`, "
                   "the responder is notified. Others may not (403), a request that is not open is a 409, and a "
                   "response that is not an open one of this request a 400.")
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def accept(self, request: Request, **kwargs) -> Response:
        request_obj = self.get_object()
        data = AcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.accept_response(request=request_obj, user=request.user, response=data.validated_data["response"])
        return self._answer(request_obj)

    @extend_schema(summary="Decline the request (the target's side)",
                   description="By the target's side: the person, admins of the organization or city, owners and "
                   "maintainers of the project (else 403). Only an open request (409); the author is notified.",
                   **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def decline(self, request: Request, **kwargs) -> Response:
        return self._answer(services.decline_request(request=self.get_object(), user=request.user))

    @extend_schema(summary="Withdraw the request (the author)",
                   description="By its author (else 403), while it is open (409): it no longer takes responses.",
                   **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def withdraw(self, request: Request, **kwargs) -> Response:
        return self._answer(services.withdraw_request(request=self.get_object(), user=request.user))

    @extend_schema(summary="Close the request without choosing a response (the author)",
                   description="By its author (else 403), while it is open (409). A request also closes by itself "
                   "once its deadline passes.",
                   **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def close(self, request: Request, **kwargs) -> Response:
        return self._answer(services.close_request(request=self.get_object(), user=request.user))

    @extend_schema(
        summary="Actors who could answer, best first, with their reasons and score",
        description="Ranked by shared skills and sectors, the same or a linked city and the author's follows; "
        "each with `reasons` (`shared_skills`, `same_city`, ...). The author, those the author blocks, those "
        "already responding, cities and suspended actors are never suggested.",
        parameters=[OpenApiParameter("limit", int, description="How many (1-50, default 20).")],
        responses={200: SuggestionListSerializer, 404: NOT_FOUND}, tags=["collaborations"],
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def suggestions(self, request: Request, **kwargs) -> Response:
        request_obj = self.get_object()
        try:
            limit = min(max(int(request.query_params.get("limit", 20)), 1), 50)
        except ValueError:
            limit = 20
        suggestions = selectors.suggested_partners(request_obj, limit=limit)
        return Response(SuggestionListSerializer({"results": suggestions, "next": None}).data)




class MyInvitationsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=inline_serializer("InvitationList", {
                       "results": InvitationSerializer(many=True), "next": serializers.URLField(allow_null=True),
                   }), tags=["auth"],
                   summary="What you (or an organization you administer) are invited to join",
                   description="Open invitations to organizations, cities and projects, each with the role it "
                   "offers; answer one with POST on `/api/v1/actors/{group}/members/{you}/accept/` (or `decline/`), "
                   "or `/api/v1/projects/{slug}/members/{handle}/accept/` (or `decline/`).")
    def get(self, request: Request) -> Response:
        me = viewer_actor(request.user)
        items = selectors.invitations_of(me) if me is not None else []
        return Response({"results": InvitationSerializer(items, many=True).data, "next": None})
