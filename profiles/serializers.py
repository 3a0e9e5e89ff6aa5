from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from novosphere.api.parsers import KeyField
from novosphere.roles import MembershipStatus
from profiles.models import Actor, CityLink, GroupInvitation, Membership
from profiles.selectors import visible_actors


class TagListField(serializers.ListField):
    """Tag slugs (`python`, `smart-city`), at most 30; read from a many-to-many of tags."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.SlugField(max_length=50))
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, data):
        if hasattr(data, "all"):
            return sorted(tag.slug for tag in data.all())
        return super().to_representation(data)


def tag_list_field() -> TagListField:
    return TagListField()


class RemoteHandleMixin:
    """`name@host` names an actor of another instance: looked up (WebFinger, then its
    actor document) and stored, then found like a local one."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "@" in data and len(data) <= 200 and "\x00" not in data:
            from django.http import Http404

            from federation.services import resolve_handle

            try:
                data = resolve_handle(data).handle
            except Http404:
                self.fail("does_not_exist", slug_name=self.slug_field, value=data[:50])
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class CityHandleField(KeyField):
    """A city, named by its handle."""

    folded_field = "handle_key"

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "handle")
        super().__init__(**kwargs)

    def get_queryset(self):
        return visible_actors().filter(kind=Actor.Kind.CITY)


@extend_schema_field(OpenApiTypes.STR)
class AnyCityHandleField(RemoteHandleMixin, CityHandleField):
    """A city, named by its handle, `name@host` for a city of another instance."""


@extend_schema_field(OpenApiTypes.STR)
class ActorHandleField(RemoteHandleMixin, KeyField):
    """Any visible actor, named by its handle (`name@host` for an actor of another instance)."""

    folded_field = "handle_key"

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "handle")
        super().__init__(**kwargs)

    def get_queryset(self):
        return visible_actors()


class ActorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["handle", "name", "kind"]
        read_only_fields = fields

    def to_representation(self, actor):
        data = super().to_representation(actor)
        if actor.erased:
            data["name"] = str(FORMER_MEMBER)
        return data


FORMER_MEMBER = _("Former member")


class ActorSerializer(serializers.ModelSerializer):
    """An actor as everyone sees it; also the shape PATCH accepts."""

    city = CityHandleField(allow_null=True, required=False)
    country = CountryField(required=False, allow_blank=True)
    skills = tag_list_field()
    sectors = tag_list_field()
    interests = tag_list_field()
    is_following = serializers.SerializerMethodField()
    peers = serializers.SerializerMethodField()
    remote = serializers.BooleanField(
        source="is_remote", read_only=True, help_text="an actor of another instance, named `name@host`"
    )
    verified = serializers.SerializerMethodField(
        help_text="cities only: whether a moderator verified that the city speaks for its place "
        "(a new city starts unverified); null for people and organizations"
    )

    class Meta:
        model = Actor
        fields = [
            "handle", "kind", "name", "headline", "bio", "city", "country",
            "skills", "sectors", "interests", "organization_type",
            "region", "latitude", "longitude", "peers",
            "followers_count", "following_count", "is_following", "remote", "verified",
        ]
        read_only_fields = ["handle", "kind", "followers_count", "following_count", "remote"]
        extra_kwargs = {
            "name": {"required": False},
            "latitude": {"help_text": "Cities and organizations: where the map places them (with longitude; "
                                      "null for both puts an organization back at its city's centre)."},
            "longitude": {"help_text": "Cities and organizations, with latitude."},
        }

    @extend_schema_field(serializers.BooleanField())
    def get_is_following(self, actor) -> bool:
        return bool(getattr(actor, "is_following", False))

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_verified(self, actor) -> bool | None:
        return actor.verified if actor.kind == Actor.Kind.CITY else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_peers(self, actor) -> list[str]:
        if actor.kind != Actor.Kind.CITY:
            return []
        handles = [
            link.to_city.handle for link in actor.links_proposed.all()
            if link.status == CityLink.Status.ACCEPTED and not link.to_city.suspended
        ] + [
            link.from_city.handle for link in actor.links_received.all()
            if link.status == CityLink.Status.ACCEPTED and not link.from_city.suspended
        ]
        return sorted(handles)

    def validate(self, attrs):
        kind = self.instance.kind if self.instance else attrs.get("kind")
        if attrs.get("organization_type") and kind != Actor.Kind.ORGANIZATION:
            raise serializers.ValidationError({"organization_type": [_("Only organizations have a type.")]})
        if attrs.get("region") and kind != Actor.Kind.CITY:
            raise serializers.ValidationError({"region": [_("Only cities have this field.")]})
        return attrs


def actor_json(page) -> dict:
    """A `profiles.selectors.ActorPage` as `ActorSerializer` gives it, built directly: DRF's
    building of twenty fields was most of the cost of reading a profile. Held to
    `ActorSerializer`'s output by tests/profiles/test_actor_page.py."""
    actor, is_city = page.actor, page.actor.kind == Actor.Kind.CITY
    return {
        "handle": actor.handle, "kind": actor.kind, "name": actor.name, "headline": actor.headline, "bio": actor.bio,
        "city": actor.city.handle if actor.city_id is not None else None,
        "country": countries.alpha2(actor.country) or "",
        **page.tags,
        "organization_type": actor.organization_type, "region": actor.region,
        "latitude": actor.latitude, "longitude": actor.longitude, "peers": page.peers,
        "followers_count": actor.followers_count, "following_count": actor.following_count,
        "is_following": bool(actor.is_following), "remote": actor.is_remote,
        "verified": actor.verified if is_city else None,
    }


class AddressField(serializers.EmailField):
    """An e-mail address, or null where the account has none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class MeSerializer(ActorSerializer):
    """The caller's person actor, with the account's own settings (seen only by its owner)."""

    email = AddressField(
        source="user.email", max_length=254, required=False,
        help_text="The account's address. A new one waits in pending_email until its key is sent back "
        "to POST /api/v1/auth/email/verify/.",
    )
    email_verified = serializers.BooleanField(source="user.email_verified", read_only=True)
    pending_email = AddressField(
        source="user.pending_email", read_only=True, help_text="A new address waiting for its key, or null.",
    )
    language = serializers.ChoiceField(
        source="user.language", choices=settings.LANGUAGES, required=False,
        help_text="The language of the e-mails the account receives.",
    )

    class Meta(ActorSerializer.Meta):
        fields = [*ActorSerializer.Meta.fields, "email", "email_verified", "pending_email", "language"]


class ActorCreateSerializer(ActorSerializer):
    kind = serializers.ChoiceField(
        choices=[(kind, Actor.Kind(kind).label) for kind in (Actor.Kind.ORGANIZATION, Actor.Kind.CITY)]
    )
    handle = serializers.SlugField(max_length=50)

    class Meta(ActorSerializer.Meta):
        read_only_fields = ["followers_count", "following_count"]
        extra_kwargs = {"name": {"required": True}}


class CitySerializer(ActorSerializer):
    actors_count = serializers.IntegerField(read_only=True)
    projects_count = serializers.IntegerField(read_only=True)

    class Meta(ActorSerializer.Meta):
        fields = [*ActorSerializer.Meta.fields, "actors_count", "projects_count"]


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=50,
        error_messages={"invalid": _("Use letters, digits, '-' and '_' only.")},
    )
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=120)
    city = CityHandleField(required=False, allow_null=True)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, write_only=True)
    new_password = serializers.CharField(max_length=128, write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True, read_only=True)


class RegisteredSerializer(serializers.Serializer):
    token = serializers.CharField()
    actor = ActorSerializer()


class MembershipSerializer(serializers.ModelSerializer):
    """A member (`status: active`) or an invitation (`status: invited`), which grants nothing yet."""

    actor = ActorSummarySerializer(source="person", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["actor", "role", "status", "created"]

    @extend_schema_field(serializers.ChoiceField(choices=MembershipStatus.choices))
    def get_status(self, item) -> str:
        return MembershipStatus.INVITED if isinstance(item, GroupInvitation) else MembershipStatus.ACTIVE


class MembershipInputSerializer(serializers.Serializer):
    actor = ActorHandleField()
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class FollowStateSerializer(serializers.Serializer):
    is_following = serializers.BooleanField()
    followers_count = serializers.IntegerField()
    pending = serializers.BooleanField(
        required=False,
        help_text="remote actors only: a follow of a remote actor waiting for its instance's Accept (grants nothing yet)"
    )


class CityLinkInputSerializer(serializers.Serializer):
    peer = CityHandleField()


class CityLinkSerializer(serializers.ModelSerializer):
    from_city = serializers.SlugRelatedField(slug_field="handle", read_only=True)
    to_city = serializers.SlugRelatedField(slug_field="handle", read_only=True)

    class Meta:
        model = CityLink
        fields = ["from_city", "to_city", "status", "created", "accepted_at"]
