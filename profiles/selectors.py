"""Reads about actors. Visibility of actors is decided here and nowhere else."""

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.http import Http404

from profiles.models import Actor, CityLink, GroupInvitation, Membership


def viewer_actor(user) -> Actor | None:
    """The person actor of a signed-in user, or None."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "actor", None)


def visible_actors(viewer=None) -> QuerySet[Actor]:
    """Actors anyone may see: every actor but those a moderator suspended."""
    return Actor.objects.filter(suspended=False)


def with_viewer_state(queryset: QuerySet[Actor], viewer) -> QuerySet[Actor]:
    """Annotate `is_following` for the caller (False for anonymous callers)."""
    from feeds.models import Follow

    me = viewer_actor(viewer)
    if me is None:
        return queryset.annotate(is_following=Value(False, output_field=BooleanField()))
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower=me, target_actor=OuterRef("pk")))
    )


def actor_for_viewer(*, viewer, handle: str, kind: str | None = None, for_update: bool = False) -> Actor:
    """The actor named `handle` if the viewer may see it; 404 otherwise, hidden or unknown alike."""
    queryset = visible_actors(viewer)
    if kind:
        queryset = queryset.filter(kind=kind)
    if for_update:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(handle=handle)
    except Actor.DoesNotExist:
        raise Http404 from None


def is_group_admin(*, user, group: Actor) -> bool:
    me = viewer_actor(user)
    return me is not None and Membership.objects.filter(
        person=me, group=group, role=Membership.Role.ADMIN
    ).exists()


def can_edit_actor(*, user, actor: Actor) -> bool:
    """A person edits themself; organizations and cities are edited by their admins."""
    if actor.kind == Actor.Kind.PERSON:
        return actor.user_id is not None and actor.user_id == getattr(user, "pk", None)
    return is_group_admin(user=user, group=actor)


def administered_groups(*, person: Actor) -> QuerySet[Actor]:
    return Actor.objects.filter(members__person=person, members__role=Membership.Role.ADMIN)


def peer_cities(city: Actor) -> QuerySet[Actor]:
    """Cities linked to `city` by an accepted link, in either direction."""
    accepted = CityLink.objects.filter(status=CityLink.Status.ACCEPTED)
    return visible_actors().filter(
        Q(pk__in=accepted.filter(from_city=city).values("to_city"))
        | Q(pk__in=accepted.filter(to_city=city).values("from_city"))
    )


def stream_key(actor: Actor) -> str:
    """The stream an actor publishes on: `city:<handle>` for cities, `actor:<handle>` otherwise."""
    prefix = "city" if actor.kind == Actor.Kind.CITY else "actor"
    return f"{prefix}:{actor.handle}"


def group_members(*, group: Actor, viewer) -> list:
    """Active members; the group's admins also see the invitations still open."""
    members = list(group.members.filter(person__suspended=False).select_related("person"))
    if is_group_admin(user=viewer, group=group):
        members += list(group.invitations.filter(person__suspended=False).select_related("person"))
    return members


def group_invitations_of(person: Actor) -> QuerySet[GroupInvitation]:
    return GroupInvitation.objects.filter(person=person, group__suspended=False).select_related("group", "invited_by")


def speaks_from(*, person: Actor, city: Actor) -> bool:
    """Whether `person` may say something comes from `city`: their home city, or one they are a member of."""
    return person.city_id == city.pk or Membership.objects.filter(person=person, group=city).exists()
