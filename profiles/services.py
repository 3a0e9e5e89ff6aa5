"""Every write about accounts, actors, memberships and city links."""

import logging

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds import services as feeds
from feeds.models import Notification
from moderation.selectors import blocks
from novosphere.errors import Conflict, Forbidden, invalid
from novosphere.lifecycle import ABSENT, Lifecycle, transition
from novosphere.models import audit
from novosphere.roles import GROUP_ROLES, LEAVE
from novosphere.ws_auth import recheck_connections
from profiles.models import Actor, CityActorCount, CityLink, GroupInvitation, Membership, Tag, User
from profiles.selectors import (
    address_taken,
    can_edit_actor,
    handle_taken,
    home_city,
    is_group_admin,
    viewer_actor,
    visible_actors,
)
from search.sync import index_on_commit

logger = logging.getLogger(__name__)

TAG_FIELDS = ("skills", "sectors", "interests")


def tags_from_slugs(slugs: list[str]) -> list[Tag]:
    """The tags named by `slugs`, created on first use."""
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    missing = [Tag(slug=slug) for slug in dict.fromkeys(slugs) if slug not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    return [existing[slug] for slug in dict.fromkeys(slugs)]


def _set_tags(actor: Actor, tags: dict[str, list[str]]) -> None:
    for field in TAG_FIELDS:
        if field in tags:
            getattr(actor, field).set(tags_from_slugs(tags[field]))


def _split_tags(fields: dict) -> dict[str, list[str]]:
    return {name: fields.pop(name) for name in TAG_FIELDS if name in fields}


def cities_of(*actors: Actor) -> set[int]:
    """The cities whose map counts `actors` are in (as they are now): a city's own, else their home city."""
    return {actor.pk if actor.kind == Actor.Kind.CITY else actor.city_id for actor in actors} - {None}


def recount_cities(*, cities: set[int] | None = None) -> None:
    """Bring the map's per-city counts (`CityActorCount`) up to date for `cities`, or for all.

    Each city is counted again from the visibility rule (`visible_actors`), so the
    counts follow it whatever it says. Every write that creates, moves, suspends,
    erases or deletes an actor calls this in its transaction with the cities the actor
    was and is in. The cities' rows are locked first (PostgreSQL): two writes about
    the same city count one after the other, and the second sees the first.
    """
    if cities is not None:
        cities = set(cities) - {None}
        if not cities:
            return
    with transaction.atomic():
        actors = visible_actors().annotate(home=home_city()).filter(home__isnull=False)
        counts = CityActorCount.objects.all()
        if cities is not None:
            list(Actor.objects.select_for_update().filter(pk__in=cities).order_by("pk").values_list("pk"))
            actors = actors.filter(home__in=cities)
            counts = counts.filter(city_id__in=cities)
        rows = list(actors.order_by().values_list("home", "kind").annotate(n=Count("pk")))
        counts.delete()
        CityActorCount.objects.bulk_create(
            [CityActorCount(city_id=home, kind=kind, count=n) for home, kind, n in rows], batch_size=1000
        )


@transaction.atomic
def register_person(
    *, username: str, password: str, email: str, name: str, city: Actor | None = None
) -> tuple[User, Actor]:
    """A new account and its person actor, whose handle is the username."""
    handle = username.lower()
    if User.objects.filter(username__iexact=username).exists() or handle_taken(handle):
        raise invalid("username", _("This username is already taken."))
    if address_taken(email):
        raise invalid("email", _("This e-mail address is already used by another account."))
    user = User(username=username, email=email, first_name=name[:150])
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise invalid("password", error.messages[0]) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            actor = Actor.objects.create(
                handle=handle, kind=Actor.Kind.PERSON, user=user, name=name, city=city,
                country=city.country if city else "",
            )
            recount_cities(cities=cities_of(actor))
    except IntegrityError:  # taken between the checks and the write
        if address_taken(email):
            raise invalid("email", _("This e-mail address is already used by another account.")) from None
        raise invalid("username", _("This username is already taken.")) from None
    if city is not None:
        # A new account's home feed starts with what happens in its city (it can unfollow).
        feeds.follow(follower=actor, target=city)
    index_on_commit(actor)
    logger.info("registered person=%s", handle)
    return user, actor


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> None:
    """A new password ends every other way in: all tokens and sessions of the account.

    Sessions end by themselves: Django checks each session's copy of the
    password hash, which no longer matches.
    """
    from knox.models import AuthToken

    if not user.check_password(old_password):
        raise invalid("old_password", _("Wrong password."))
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as error:
        raise invalid("new_password", error.messages[0]) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    for token in AuthToken.objects.filter(user=user):
        token.delete()  # one by one, so each open socket hears of it
    recheck_connections(user.pk)  # sockets opened with a session check the hash again
    audit(user=user, action="password.change", subject=f"user:{user.pk}")
    logger.info("password changed user=%s tokens and sessions ended", user.username)


@transaction.atomic
def set_suspended(*, actors, suspended: bool, moderator: User, **why) -> int:
    """Suspend (hide everywhere, end live connections) or reinstate actors.

    `why` (a reason, the report acted on) goes into the audit rows."""
    changed = 0
    for actor in actors:
        if actor.suspended == suspended:
            continue
        actor.suspended = suspended
        actor.save(update_fields=["suspended"])
        recount_cities(cities=cities_of(actor))
        index_on_commit(actor)  # its profile, its projects and its requests leave search
        audit(
            user=moderator, action="actor.suspend" if suspended else "actor.reinstate",
            subject=f"actor:{actor.handle}", **why,
        )
        if actor.user_id:
            recheck_connections(actor.user_id)
        changed += 1
    logger.info("moderation suspended=%s actors=%d by=%s", suspended, changed, moderator.username)
    return changed


# Cities and organizations are places on the map (an organization without its own point
# sits at its city's centre); a person's whereabouts are not published.
PLACED_KINDS = (Actor.Kind.CITY, Actor.Kind.ORGANIZATION)


def _check_coordinates(actor: Actor) -> None:
    if actor.latitude is None and actor.longitude is None:
        return
    if actor.kind not in PLACED_KINDS:
        raise invalid("latitude", _("Only cities and organizations have coordinates."))
    if actor.latitude is None or actor.longitude is None:
        raise invalid("latitude" if actor.latitude is None else "longitude",
                      _("Give both latitude and longitude, or neither."))


@transaction.atomic
def set_verified(*, cities, verified: bool, moderator: User, **why) -> int:
    """A moderator verifies cities (they speak for their place) or takes it back; returns how many changed.

    Only cities are verified; `why` (a reason) goes into the audit rows."""
    changed = 0
    for city in cities:
        if city.kind != Actor.Kind.CITY:
            raise invalid("actor", _("Only cities are verified."))
        if city.verified == verified:
            continue
        city.verified = verified
        city.save(update_fields=["verified"])
        index_on_commit(city)
        audit(user=moderator, action="city.verify" if verified else "city.unverify",
              subject=f"city:{city.handle}", **why)
        changed += 1
    logger.info("moderation verified=%s cities=%d by=%s", verified, changed, moderator.username)
    return changed


@transaction.atomic
def update_actor(*, actor: Actor, editor: User, **fields) -> Actor:
    """Edit a profile: the person themself, or an admin of the organization or city."""
    if not can_edit_actor(user=editor, actor=actor):
        raise Forbidden(_("You may not edit this profile."))
    tags = _split_tags(fields)
    renamed = "name" in fields and fields["name"] != actor.name
    was_in = cities_of(actor)
    for name, value in fields.items():
        setattr(actor, name, value)
    if renamed and actor.kind == Actor.Kind.CITY:
        actor.verified = False  # a moderator verified the city under its former name
    if {"latitude", "longitude"} & fields.keys():
        _check_coordinates(actor)
    actor.full_clean(exclude=["user", "city"])  # Actor.clean: a name another city has is taken
    _save_checked(actor)
    _set_tags(actor, tags)
    recount_cities(cities=was_in | cities_of(actor))
    index_on_commit(actor)
    logger.info("updated actor=%s by=%s fields=%s", actor.handle, editor.username, ",".join([*fields, *tags]))
    return actor


def _save_checked(actor: Actor) -> None:
    """Save; a key another write took between the check and this one is the same 400."""
    try:
        with transaction.atomic():
            actor.save()
    except IntegrityError:
        actor.clean()  # names the field that was taken meanwhile
        raise


@transaction.atomic
def create_group_actor(*, creator: User, kind: str, handle: str, name: str, **fields) -> Actor:
    """A new organization or city; its creator becomes its first admin."""
    me = viewer_actor(creator)
    if me is None:
        raise Forbidden(_("Only people can create organizations and cities."))
    if kind not in (Actor.Kind.ORGANIZATION, Actor.Kind.CITY):
        raise invalid("kind", _("Only organizations and cities can be created here."))
    tags = _split_tags(fields)
    # A new city is unverified until a moderator verifies it (moderation.services.verify_city).
    actor = Actor(kind=kind, handle=handle, name=name, verified=False, **fields)
    _check_coordinates(actor)
    # Actor.clean: a handle taken whatever its case and accents, a city name another city has.
    actor.full_clean(exclude=["user", "city"])
    _save_checked(actor)
    _set_tags(actor, tags)
    membership = Membership.objects.create(person=me, group=actor, role=Membership.Role.ADMIN)
    recount_cities(cities=cities_of(actor))
    index_on_commit(actor, membership)
    logger.info("created %s=%s by=%s", kind, handle, me.handle)
    return actor


@transaction.atomic
def delete_actor(*, actor: Actor, editor: User) -> None:
    if not can_edit_actor(user=editor, actor=actor):
        raise Forbidden(_("You may not delete this profile."))
    if actor.kind == Actor.Kind.PERSON:
        # A person goes only with their account, through the erasure that asks for the password
        # and settles what they own and wrote (accounts.services.erase_account).
        raise Conflict(_("A person's profile goes with their account: erase the account with "
                         "DELETE /api/v1/me/ and its password."))
    audit(user=editor, action="actor.delete", subject=f"actor:{actor.handle}", kind=actor.kind)
    logger.info("deleted actor=%s by=%s", actor.handle, editor.username)
    index_on_commit(actor)  # found now, while what depends on it still exists
    was_in = cities_of(actor) - {actor.pk}  # a deleted city's own counts go with it
    actor.delete()
    recount_cities(cities=was_in)


def _role_in(group: Actor, person: Actor | None) -> str | None:
    if person is None:
        return None
    return Membership.objects.filter(group=group, person=person).values_list("role", flat=True).first()


def _other_admins(group: Actor, person: Actor) -> int:
    return Membership.objects.filter(group=group, role=Membership.Role.ADMIN).exclude(person=person).count()


@transaction.atomic
def add_member(*, group: Actor, editor: User, person: Actor, role: str) -> Membership | GroupInvitation:
    """Invite a person to an organization or city, or change a member's role (GROUP_ROLES says who may).

    An invitation grants nothing: the person is told, and becomes a member only by
    accepting. A person who blocks the inviter cannot be invited by them."""
    if not group.is_group:
        raise invalid("actor", _("Only organizations and cities have members."))
    me = viewer_actor(editor)
    group = Actor.objects.select_for_update().get(pk=group.pk)  # role changes of one group queue here
    if person.kind != Actor.Kind.PERSON:
        raise invalid("actor", _("Only people can be members."))
    membership = Membership.objects.filter(group=group, person=person).first()
    GROUP_ROLES.check(
        by=_role_in(group, me), current=membership.role if membership else None, new=role,
        is_self=me is not None and me.pk == person.pk, others_at_top=_other_admins(group, person),
    )
    if membership is not None:
        membership.role = role
        membership.save(update_fields=["role"])
        index_on_commit(membership)
        audit(user=editor, action="membership.role", subject=f"actor:{group.handle}", person=person.handle, role=role)
        logger.info("membership group=%s person=%s role=%s by=%s", group.handle, person.handle, role, me.handle)
        return membership
    if blocks(blocker=person, blocked=me):
        raise Forbidden(_("You cannot invite this person."))
    invitation, created = GroupInvitation.objects.update_or_create(
        group=group, person=person, defaults={"role": role, "invited_by": me}
    )
    if created:
        feeds.record(
            actor=me, type="Invite", object=person, target=group, publish=False,
            notify=[(person, Notification.Reason.INVITED)],
        )
    audit(user=editor, action="membership.invite", subject=f"actor:{group.handle}", person=person.handle, role=role)
    logger.info("invitation group=%s person=%s role=%s by=%s", group.handle, person.handle, role, me.handle)
    return invitation


def _invitation_for(group: Actor, person: Actor | None) -> GroupInvitation:
    invitation = GroupInvitation.objects.select_for_update().filter(group=group, person=person).first()
    if invitation is None:
        raise Conflict(_("There is no invitation to accept or decline."))
    return invitation


@transaction.atomic
def accept_group_invitation(*, group: Actor, user: User) -> Membership:
    """The invited person accepts: only now are they a member, and only now is it announced."""
    me = viewer_actor(user)
    invitation = _invitation_for(group, me)
    membership = Membership.objects.create(person=me, group=group, role=invitation.role)
    invitation.delete()
    index_on_commit(membership)
    feeds.record(actor=me, type="Join", object=group, streams=[group])
    audit(user=user, action="membership.accept", subject=f"actor:{group.handle}", role=membership.role)
    logger.info("invitation accepted group=%s person=%s", group.handle, me.handle)
    return membership


@transaction.atomic
def decline_group_invitation(*, group: Actor, user: User) -> None:
    me = viewer_actor(user)
    _invitation_for(group, me).delete()
    audit(user=user, action="membership.decline", subject=f"actor:{group.handle}")
    logger.info("invitation declined group=%s person=%s", group.handle, me.handle)


@transaction.atomic
def remove_member(*, group: Actor, editor: User, person: Actor) -> None:
    """A member leaves, or one allowed by GROUP_ROLES removes them; an invitation is withdrawn
    by an admin (or declined by the person) the same way."""
    me = viewer_actor(editor)
    group = Actor.objects.select_for_update().get(pk=group.pk)
    membership = Membership.objects.filter(group=group, person=person).first()
    if membership is None:
        invitation = GroupInvitation.objects.filter(group=group, person=person).first()
        if invitation is None:
            raise invalid("actor", _("%(name)s is not a member.") % {"name": person.name})
        # Withdrawing an invitation is taking away the role it offers.
        GROUP_ROLES.check(by=_role_in(group, me), current=invitation.role, new=LEAVE,
                          is_self=me is not None and me.pk == person.pk, others_at_top=1)
        invitation.delete()
        audit(user=editor, action="membership.withdraw", subject=f"actor:{group.handle}", person=person.handle)
        return
    GROUP_ROLES.check(
        by=_role_in(group, me), current=membership.role, new=LEAVE,
        is_self=me is not None and me.pk == person.pk, others_at_top=_other_admins(group, person),
    )
    index_on_commit(membership)
    membership.delete()
    audit(user=editor, action="membership.remove", subject=f"actor:{group.handle}", person=person.handle)
    logger.info("membership ended group=%s person=%s by=%s", group.handle, person.handle, me.handle)


# --- City links --------------------------------------------------------------

# A link between two cities: proposed by one, accepted by the other, ended by either.
CITY_LINK_LIFE = Lifecycle("city link", CityLink.Status.values, {
    "propose": transition({ABSENT}, CityLink.Status.PENDING),
    "accept": transition({CityLink.Status.PENDING}, CityLink.Status.ACCEPTED),
    "end": transition({CityLink.Status.PENDING, CityLink.Status.ACCEPTED}, ABSENT),
})


def _link_between(city: Actor, peer: Actor) -> CityLink | None:
    return (
        CityLink.objects.select_for_update().filter(from_city=city, to_city=peer).first()
        or CityLink.objects.select_for_update().filter(from_city=peer, to_city=city).first()
    )


def _require_city_admin(editor: User, city: Actor) -> None:
    if not is_group_admin(user=editor, group=city):
        raise Forbidden(_("Only admins of %(name)s can manage its links.") % {"name": city.name})


@transaction.atomic
def propose_city_link(*, city: Actor, peer: Actor, editor: User) -> CityLink:
    """`city` proposes a link to `peer`; it stays pending until an admin of `peer` accepts."""
    _require_city_admin(editor, city)
    if peer.pk == city.pk:
        raise invalid("peer", _("A city cannot link to itself."))
    if peer.kind != Actor.Kind.CITY:
        raise invalid("peer", _("Only cities can be linked."))
    existing = _link_between(city, peer)
    if existing is None:
        refused = ""
    elif existing.status == CityLink.Status.ACCEPTED:
        refused = _("These cities are already linked.")
    elif existing.from_city_id == city.pk:
        refused = _("This link is already proposed and waits for the peer city.")
    else:
        refused = _("%(name)s already proposed this link: accept it instead.") % {"name": peer.name}
    status = CITY_LINK_LIFE.check("propose", existing.status if existing else ABSENT, refused=refused)
    link = CityLink.objects.create(from_city=city, to_city=peer, status=status)
    index_on_commit(link)
    audit(user=editor, action="citylink.propose", subject=f"city:{city.handle}", peer=peer.handle)
    logger.info("city link proposed from=%s to=%s", city.handle, peer.handle)
    return link


@transaction.atomic
def accept_city_link(*, city: Actor, peer: Actor, editor: User) -> CityLink:
    """An admin of `city` accepts the link that `peer` proposed."""
    _require_city_admin(editor, city)
    link = CityLink.objects.select_for_update().filter(from_city=peer, to_city=city).first()
    if link is None:
        raise Conflict(_("%(name)s has not proposed a link.") % {"name": peer.name})
    link.status = CITY_LINK_LIFE.check("accept", link.status, refused=_("These cities are already linked."))
    link.accepted_at = timezone.now()
    link.save(update_fields=["status", "accepted_at"])
    index_on_commit(link)
    feeds.record(actor=city, type="Accept", object=peer, target=city, streams=[city, peer], object_type="citylink")
    audit(user=editor, action="citylink.accept", subject=f"city:{city.handle}", peer=peer.handle)
    logger.info("city link accepted %s <-> %s", peer.handle, city.handle)
    return link


@transaction.atomic
def end_city_link(*, city: Actor, peer: Actor, editor: User) -> None:
    """Either side ends a link, pending or accepted."""
    _require_city_admin(editor, city)
    link = _link_between(city, peer)
    CITY_LINK_LIFE.check("end", link.status if link else ABSENT, refused=_("These cities are not linked."))
    audit(user=editor, action="citylink.end", subject=f"city:{city.handle}", peer=peer.handle, status=link.status)
    index_on_commit(link)
    link.delete()
    logger.info("city link ended %s <-> %s", city.handle, peer.handle)
