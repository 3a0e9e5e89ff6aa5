"""Reads about actors. Visibility of actors is decided here and nowhere else."""

from dataclasses import dataclass

from django.db import router
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.http import Http404

from novosphere.compiled import compiled_objects, compiled_rows
from novosphere.keys import handle_key
from profiles.models import Actor, CityActorCount, CityLink, GroupInvitation, Membership


def viewer_actor(user) -> Actor | None:
    """The person actor of a signed-in user, or None."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "actor", None)


def address_taken(email: str, *, by_other_than=None) -> bool:
    """Whether another account answers to this e-mail address (case does not matter)."""
    from profiles.models import User

    others = User.objects.filter(email__iexact=email.strip())
    if by_other_than is not None:
        others = others.exclude(pk=by_other_than.pk)
    return others.exists()


def handle_taken(handle: str) -> bool:
    """Whether an actor has this handle, whatever its case and accents."""
    return Actor.objects.filter(handle_key=handle_key(handle)).exists()


def actor_by_handle(queryset: QuerySet[Actor], handle: str) -> Actor | None:
    """The actor of `queryset` named `handle`, whatever its case and accents."""
    return queryset.filter(handle_key=handle_key(handle)).first()


def actor_shown(path: str = "", *, shown: bool = True) -> Q:
    """The one rule of a moderator's withdrawal: an actor is shown to others unless suspended
    (with `shown=False`: the withdrawn ones, as a test the `suspended` index serves).
    `path` leads from another model to the actor (`author`, `owner`, `memberships__actor`)."""
    return Q(**{f"{path}__suspended" if path else "suspended": not shown})


def visible_actors(viewer=None) -> QuerySet[Actor]:
    """Actors anyone may see: every actor but those a moderator suspended and what
    remains of erased accounts (their kept updates and responses still show them)."""
    return Actor.objects.filter(actor_shown(), erased=False)


def home_city():
    """The city an actor belongs to on the map: a city is its own, anyone else their `city`."""
    return Case(When(kind=Actor.Kind.CITY, then=F("pk")), default=F("city_id"))


def visible_actors_per_city(*, kind: str | None = None, city_ids=None) -> dict[int, tuple]:
    """{city id: (how many actors every viewer may see at that city, its handle, name,
    longitude, latitude)} (cities count themselves), from the counts that
    `profiles.services.recount_cities` keeps: one read of a few hundred rows."""
    counts = CityActorCount.objects.all()
    if kind:
        counts = counts.filter(kind=kind)
    if city_ids is not None:
        counts = counts.filter(city_id__in=city_ids)
    rows = counts.order_by().values_list(
        "city_id", "city__handle", "city__name", "city__longitude", "city__latitude"
    ).annotate(n=Sum("count"))
    return {city_id: (n, *place) for city_id, *place, n in rows if n > 0}


def withdrawn_actors() -> QuerySet[Actor]:
    """Actors nobody sees (suspended): few, so a small list where a join would cost more."""
    # Not `exclude(actor_shown())`: SQLite serves no NOT (NOT suspended) from the index
    # and read the whole table (10 ms at 100,000 actors, for each map of clusters).
    return Actor.objects.filter(actor_shown(shown=False)).order_by()


def with_viewer_state(queryset: QuerySet[Actor], viewer) -> QuerySet[Actor]:
    """Annotate `is_following` for the caller (False for anonymous callers)."""
    from feeds.models import Follow

    me = viewer_actor(viewer)
    if me is None:
        return queryset.annotate(is_following=Value(False, output_field=BooleanField()))
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower=me, target_actor=OuterRef("pk")))
    )


class _ViewerOfActor:
    """A signed-in viewer known by its actor's id alone: what the builder of a compiled query
    (`novosphere.compiled`) hands a visibility rule, the id being a marker there. A rule that
    came to read anything else of its viewer fails here, when compiling, instead of having
    what it read kept in the SQL."""

    __slots__ = ("actor",)
    is_authenticated = True

    def __init__(self, actor_id: int):
        self.actor = Actor(pk=actor_id)


def viewer_of_actor(actor_id: int | None):
    """The viewer a compiled query's builder passes to a rule: None (anonymous) without an id."""
    return None if actor_id is None else _ViewerOfActor(actor_id)


def seen_by(name: str, build, *, viewer, using: str, **values) -> list:
    """`compiled_objects` of a page read by `viewer`: the builder gets the viewer's actor id
    as `viewer`, or nothing for the anonymous reader (a shape of its own)."""
    me = viewer_actor(viewer)
    if me is None:
        return compiled_objects(f"{name}.anonymous", build, using=using, **values)
    return compiled_objects(name, build, using=using, viewer=me.pk, **values)


def _stored_handle(handle: str) -> str:
    """A remote handle (`name@host`) is looked up on its instance the first time,
    and refreshed when stale (federation); a local one is itself."""
    if "@" in handle:
        from federation.services import resolve_handle

        return resolve_handle(handle).handle
    return handle


def actor_for_viewer(*, viewer, handle: str, kind: str | None = None) -> Actor:
    """The actor named `handle` if the viewer may see it; 404 otherwise, hidden or unknown alike.

    A remote handle (`name@host`) is looked up on its instance the first time,
    and refreshed when stale (federation)."""
    handle = _stored_handle(handle)
    queryset = visible_actors(viewer)
    if kind:
        queryset = queryset.filter(kind=kind)
    actor = actor_by_handle(queryset, handle)
    if actor is None:
        raise Http404
    return actor


TAG_KINDS = ("skills", "sectors", "interests")


@dataclass(frozen=True)
class ActorPage:
    """What an actor's page shows a viewer."""

    actor: Actor  # with its `city` and the viewer's `is_following`
    tags: dict[str, list[str]]  # each of TAG_KINDS: its slugs, sorted
    peers: list[str]  # a city's accepted peer cities not suspended, by handle, sorted; [] for others


def actor_page(*, viewer, handle: str) -> ActorPage:
    """The actor `handle` as its page shows it to `viewer`; 404 as `actor_for_viewer`.

    Read on every visit of a profile: two queries, each compiled once (`novosphere.compiled`),
    the actor with its city and the viewer's follow, then its tags and peers together."""
    handle = _stored_handle(handle)
    using = router.db_for_read(Actor)
    found = seen_by("profiles.actor_page", _actor_seen_by, viewer=viewer, using=using, key=handle_key(handle))
    if not found:
        raise Http404
    actor = found[0]
    tags, peers = {kind: [] for kind in TAG_KINDS}, []
    for kind, name in compiled_rows("profiles.actor_page.lists", _tags_and_peers, using=using, actor=actor.pk):
        (peers if kind == "peers" else tags[kind]).append(name)
    # Only cities have peers (what `ActorSerializer.get_peers` says too).
    peers = sorted(peers) if actor.kind == Actor.Kind.CITY else []
    return ActorPage(actor, {kind: sorted(slugs) for kind, slugs in tags.items()}, peers)


def _actor_seen_by(key, viewer=None):
    seer = viewer_of_actor(viewer)
    return with_viewer_state(visible_actors(seer).filter(handle_key=key).select_related("city").order_by(), seer)


def _tags_and_peers(actor):
    """(list, name) rows: ("skills", slug) for each skill, sector and interest, ("peers", handle)
    for each accepted peer city not suspended, either side of the link."""
    tags = [
        getattr(Actor, kind).through.objects.filter(actor=actor).order_by().values_list(Value(kind), "tag__slug")
        for kind in TAG_KINDS
    ]
    accepted = CityLink.objects.filter(status=CityLink.Status.ACCEPTED).order_by()
    peers = [
        accepted.filter(from_city=actor, to_city__suspended=False).values_list(Value("peers"), "to_city__handle"),
        accepted.filter(to_city=actor, from_city__suspended=False).values_list(Value("peers"), "from_city__handle"),
    ]
    first, *rest = tags + peers
    return first.union(*rest, all=True)


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


def stream_prefix(actor: Actor) -> str:
    """Cities publish on `city:<handle>`, other actors on `actor:<handle>`."""
    return "city" if actor.kind == Actor.Kind.CITY else "actor"


class _Stranger:
    """A signed-in person with no tie to anything: what they may see, every signed-in person may."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None

    def __init__(self):
        # An id no row has: every "is the viewer a member, an author, a blocker" is false.
        self.actor = Actor(pk=0, kind=Actor.Kind.PERSON, handle="", name="")


def signed_in_stranger():
    """The viewer that stands for every signed-in person in `novosphere.kinds.audience_of`."""
    return _Stranger()


def user_of_actor(actor_id: int):
    """The account of a person actor (None for organizations, cities, and unknown ids)."""
    actor = Actor.objects.filter(pk=actor_id, user__isnull=False).select_related("user").first()
    return actor.user if actor is not None else None


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
