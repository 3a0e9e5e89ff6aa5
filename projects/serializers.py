from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from novosphere.api.parsers import EndOfDayDateTimeField, KeyField
from novosphere.roles import MembershipStatus
from profiles.models import Actor
from profiles.serializers import (
    ActorHandleField,
    ActorSummarySerializer,
    AnyCityHandleField,
    CityHandleField,
    TagListField,
)
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectInvitation,
    ProjectMember,
    ProjectUpdate,
)
from projects.selectors import visible_projects


@extend_schema_field(OpenApiTypes.STR)
class HandleField(ActorHandleField):
    """A visible actor's handle (a string in the schema)."""


class VisibleProjectField(KeyField):
    """A project the caller may see, named by its slug; a hidden one is as unknown as a missing one."""

    folded_field = "slug_key"

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return visible_projects(request.user if request else None)


class NeedsSerializer(serializers.Serializer):
    skills = TagListField()
    partner_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Actor.OrganizationType.choices + [("person", _("person"))]),
        max_length=12, required=False,
    )
    text = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class ProjectSerializer(serializers.ModelSerializer):
    """A project as the caller sees it; also the shape POST and PATCH accept."""

    slug = serializers.SlugField(max_length=80, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="handle", required=False,
        queryset=Actor.objects.filter(suspended=False, kind__in=[Actor.Kind.PERSON, Actor.Kind.ORGANIZATION]),
        help_text="Handle of the owner: you (default) or an organization you administer.",
    )
    city = CityHandleField(allow_null=True, required=False)
    sectors = TagListField()
    needs = NeedsSerializer(required=False)
    is_following = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "slug", "title", "summary", "description", "owner", "city", "stage", "sectors", "needs",
            "visibility", "members_count", "followers_count", "is_following", "created", "updated",
        ]
        read_only_fields = ["members_count", "followers_count", "created", "updated"]

    def to_representation(self, project):
        data = super().to_representation(project)
        data["needs"] = {
            "skills": sorted(tag.slug for tag in project.needed_skills.all()),
            "partner_kinds": project.needed_partner_kinds,
            "text": project.needs_text,
        }
        return data

    @extend_schema_field(serializers.BooleanField())
    def get_is_following(self, project) -> bool:
        return bool(getattr(project, "is_following", False))


_TIME = serializers.DateTimeField()  # holds no state: it reads the request's time zone at each call


def project_json(page) -> dict:
    """A `projects.selectors.ProjectPage` as `ProjectSerializer` gives it, built directly: DRF's
    building of its fields was most of the cost of reading a project. Held to
    `ProjectSerializer`'s output by tests/projects/test_project_page.py."""
    project = page.project
    return {
        "slug": project.slug, "title": project.title, "summary": project.summary, "description": project.description,
        "owner": project.owner.handle, "city": project.city.handle if project.city_id is not None else None,
        "stage": project.stage, "sectors": page.tags["sectors"],
        "needs": {
            "skills": page.tags["needed_skills"], "partner_kinds": project.needed_partner_kinds,
            "text": project.needs_text,
        },
        "visibility": project.visibility, "members_count": project.members_count,
        "followers_count": project.followers_count, "is_following": bool(project.is_following),
        "created": _TIME.to_representation(project.created), "updated": _TIME.to_representation(project.updated),
    }


class ProjectUpdateInputSerializer(ProjectSerializer):
    """PATCH: every field optional; slug and owner are fixed once created."""

    class Meta(ProjectSerializer.Meta):
        read_only_fields = [*ProjectSerializer.Meta.read_only_fields, "slug", "owner"]
        extra_kwargs = {"title": {"required": False}}


class ProjectMemberSerializer(serializers.ModelSerializer):
    """A member (`status: active`) or an invitation (`status: invited`), which grants nothing yet."""

    actor = ActorSummarySerializer(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = ProjectMember
        fields = ["actor", "role", "status", "created"]

    @extend_schema_field(serializers.ChoiceField(choices=MembershipStatus.choices))
    def get_status(self, item) -> str:
        return MembershipStatus.INVITED if isinstance(item, ProjectInvitation) else MembershipStatus.ACTIVE


class InvitationSerializer(serializers.Serializer):
    """What the caller (or an organization they administer) was invited to."""

    kind = serializers.ChoiceField(choices=[("project", _("project")), ("organization", _("organization")), ("city", _("city"))])
    id = serializers.CharField(help_text="The project's slug, or the organization's or city's handle.")
    name = serializers.CharField()
    actor = ActorSummarySerializer(help_text="Who is invited: you, or an organization you administer.")
    role = serializers.CharField()
    invited_by = ActorSummarySerializer(allow_null=True)
    created = serializers.DateTimeField()
    accept_url = serializers.CharField()


class ProjectMemberInputSerializer(serializers.Serializer):
    actor = HandleField(help_text="Handle of a person or an organization.")
    role = serializers.ChoiceField(choices=ProjectMember.Role.choices, default=ProjectMember.Role.CONTRIBUTOR)


class ProjectUpdateSerializer(serializers.ModelSerializer):
    """A news post: `body` as written (markdown), `html` its sanitized rendering."""

    author = ActorSummarySerializer(read_only=True)
    body = serializers.CharField(max_length=20000)

    class Meta:
        model = ProjectUpdate
        fields = ["id", "author", "body", "html", "published"]
        read_only_fields = ["id", "author", "html", "published"]


class RequestNeedsSerializer(serializers.Serializer):
    skills = TagListField()
    sectors = TagListField()


class CollaborationRequestSerializer(serializers.ModelSerializer):
    """A collaboration request; also the shape POST accepts (exactly one of to_actor, to_project, to_city)."""

    author = serializers.SlugRelatedField(slug_field="handle", read_only=True)
    from_project = VisibleProjectField(required=False, allow_null=True)
    origin_city = CityHandleField(required=False, allow_null=True)
    to_actor = ActorHandleField(required=False, allow_null=True,
                                help_text="An actor's handle; `name@host` for an actor of another instance.")
    to_project = VisibleProjectField(required=False, allow_null=True)
    to_city = AnyCityHandleField(required=False, allow_null=True,
                                 help_text="A city's handle; `name@host` for a city of another instance.")
    needs = RequestNeedsSerializer(required=False)
    deadline = EndOfDayDateTimeField(
        required=False,
        help_text="When the request closes by itself. Optional: by default the end of the day "
                  f"{CollaborationRequest.DEFAULT_DEADLINE_DAYS} days from now. A date without a time (`2027-03-01`) means the "
                  "end of that day (23:59:59) in the instance's time zone.",
    )

    class Meta:
        model = CollaborationRequest
        fields = [
            "id", "title", "message", "kind", "author", "from_project", "origin_city",
            "to_actor", "to_project", "to_city", "include_peer_cities", "needs", "status",
            "deadline", "responses_count", "accepted_response", "created", "updated",
        ]
        read_only_fields = ["id", "status", "responses_count", "accepted_response", "created", "updated"]

    def validate(self, attrs):
        targets = [name for name in ("to_actor", "to_project", "to_city") if attrs.get(name) is not None]
        if len(targets) != 1:
            raise serializers.ValidationError(
                {"to_actor": [_("Name exactly one target: to_actor, to_project or to_city.")]}
            )
        return attrs

    def to_representation(self, request):
        data = super().to_representation(request)
        data["needs"] = {
            "skills": sorted(tag.slug for tag in request.needed_skills.all()),
            "sectors": sorted(tag.slug for tag in request.needed_sectors.all()),
        }
        return data


class CollaborationResponseSerializer(serializers.ModelSerializer):
    responder = ActorSummarySerializer(read_only=True)
    on_behalf_of = ActorHandleField(required=False, allow_null=True, help_text="An organization you administer.")
    on_behalf_of_project = VisibleProjectField(required=False, allow_null=True, help_text="A project you belong to.")
    message = serializers.CharField(max_length=5000)

    class Meta:
        model = CollaborationResponse
        fields = ["id", "responder", "on_behalf_of", "on_behalf_of_project", "message", "status", "created"]
        read_only_fields = ["id", "responder", "status", "created"]


class AcceptInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=1, help_text="Id of the response to accept.")


class ReasonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            ("shared_skills", _("shared skills")), ("shared_sectors", _("shared sectors")),
            ("same_city", _("same city")), ("linked_city", _("linked city")),
            ("followed_by_author", _("followed by the author")),
        ]
    )
    detail = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class SuggestionSerializer(serializers.Serializer):
    actor = ActorSummarySerializer()
    score = serializers.IntegerField()
    reasons = ReasonSerializer(many=True)


class SuggestionListSerializer(serializers.Serializer):
    """The one list shape; the best `limit` suggestions fit on one page, so `next` is null."""

    results = SuggestionSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="always null: the best `limit` fit on one page")
