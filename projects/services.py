"""Every write about projects, their members and updates, and collaboration requests.

Each public function is one transaction that authorizes, validates, writes and
records its activity (dispatched by feeds after commit), so an activity exists
exactly when its action does.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feeds import services as feeds
from feeds.models import Notification
from moderation.selectors import blocks
from novosphere.dates import end_of_day_in
from novosphere.errors import Conflict, Forbidden, invalid
from novosphere.keys import handle_key
from novosphere.lifecycle import ABSENT, Lifecycle, transition
from novosphere.models import audit
from novosphere.rendering import render_markdown
from novosphere.roles import LEAVE, PROJECT_ROLES
from profiles.models import Actor, User
from profiles.selectors import administered_groups, is_group_admin, speaks_from, viewer_actor
from profiles.services import tags_from_slugs
from projects import selectors
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectInvitation,
    ProjectMember,
    ProjectUpdate,
)
from search.sync import index_on_commit

logger = logging.getLogger(__name__)

Role = ProjectMember.Role
Status = CollaborationRequest.Status


def _person(user: User) -> Actor:
    me = viewer_actor(user)
    if me is None:
        raise Forbidden(_("Only people with a profile can do this."))
    return me


def _free_slug(title: str, wanted: str | None) -> str:
    """The wanted slug, or the next free one: refusing a taken slug would tell whether a
    project hidden from the caller exists, so a taken one is never an error."""
    base = (wanted or slugify(title) or "projet")[:70]
    slug, n = base, 1
    while Project.objects.filter(slug_key=handle_key(slug)).exists():  # `Labo` is `labo` taken
        n += 1
        slug = f"{base}-{n}"
    return slug


def _apply_needs(project: Project, needs: dict | None) -> None:
    """Set the needs' plain fields; `_apply_needed_skills` sets the tags once the project is saved."""
    if needs is None:
        return
    if "partner_kinds" in needs:
        project.needed_partner_kinds = list(dict.fromkeys(needs["partner_kinds"]))
    if "text" in needs:
        project.needs_text = needs["text"]


def _apply_needed_skills(project: Project, needs: dict | None) -> None:
    if needs is not None and "skills" in needs:
        project.needed_skills.set(tags_from_slugs(needs["skills"]))


def _project_streams(project: Project) -> list:
    return [project, project.city] if project.city_id else [project]


# --- Projects ----------------------------------------------------------------


@transaction.atomic
def create_project(
    *,
    creator: User,
    title: str,
    owner: Actor | None = None,
    slug: str | None = None,
    summary: str = "",
    description: str = "",
    city: Actor | None = None,
    stage: str = Project.Stage.IDEA,
    sectors: list[str] | None = None,
    needs: dict | None = None,
    visibility: str = "public",
) -> Project:
    """A new project owned by the caller, or by an organization the caller administers."""
    me = _person(creator)
    owner = owner or me
    if owner.pk != me.pk:
        if owner.kind != Actor.Kind.ORGANIZATION or not is_group_admin(user=creator, group=owner):
            raise invalid("owner", _("A project is owned by you or by an organization you administer."))
    project = Project(
        slug=_free_slug(title, slug), title=title, summary=summary, description=description,
        owner=owner, city=city if city is not None else me.city, stage=stage, visibility=visibility,
    )
    _apply_needs(project, needs)
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        raise invalid("slug", _("This slug is already taken.")) from None
    project.sectors.set(tags_from_slugs(sectors or []))
    _apply_needed_skills(project, needs)
    ProjectMember.objects.create(project=project, actor=owner, role=Role.OWNER)
    if owner.pk != me.pk:  # the person who acted for the organization keeps the keys too
        ProjectMember.objects.create(project=project, actor=me, role=Role.MAINTAINER)
    _sync_members_count(project)
    index_on_commit(project)
    feeds.record(actor=me, type="Create", object=project, streams=_project_streams(project))
    logger.info("project created slug=%s by=%s", project.slug, me.handle)
    return project


@transaction.atomic
def update_project(*, project: Project, editor: User, **fields) -> Project:
    """Edit a project: its owners and maintainers."""
    me = _person(editor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not selectors.can_edit_project(person=me, project=project):
        raise Forbidden(_("Only owners and maintainers can edit this project."))
    sectors = fields.pop("sectors", None)
    needs = fields.pop("needs", None)
    for name, value in fields.items():
        setattr(project, name, value)
    _apply_needs(project, needs)
    project.save()
    _apply_needed_skills(project, needs)
    if sectors is not None:
        project.sectors.set(tags_from_slugs(sectors))
    index_on_commit(project)  # its document, and those of the requests its visibility governs
    feeds.record(actor=me, type="Update", object=project, streams=_project_streams(project))
    logger.info("project updated slug=%s by=%s fields=%s", project.slug, me.handle, ",".join(fields))
    return project


@transaction.atomic
def delete_project(*, project: Project, editor: User) -> None:
    """Delete a project: its owners only."""
    me = _person(editor)
    if not selectors.is_project_owner(person=me, project=project):
        raise Forbidden(_("Only owners can delete this project."))
    audit(user=editor, action="project.delete", subject=f"project:{project.slug}", title=project.title)
    logger.info("project deleted slug=%s by=%s", project.slug, me.handle)
    index_on_commit(project)  # found now, while the requests about it still exist
    project.delete()


def _sync_members_count(project: Project) -> None:
    # Counted from the rows, inside the writer's transaction, so it never drifts.
    count = ProjectMember.objects.filter(project=project).count()
    Project.objects.filter(pk=project.pk).update(members_count=count)
    project.members_count = count


def _role_of(project: Project, person: Actor | None) -> str | None:
    """The strongest role `person` holds in `project`, directly or as admin of a member organization."""
    if person is None:
        return None
    roles = set(ProjectMember.objects.filter(
        Q(actor=person) | Q(actor__in=administered_groups(person=person)), project=project,
    ).values_list("role", flat=True))
    return next((role for role in Role.values if role in roles), None)  # Role lists the strongest first


def _other_owners(project: Project, actor: Actor) -> int:
    return ProjectMember.objects.filter(project=project, role=Role.OWNER).exclude(actor=actor).count()


def _speaks_for(me: Actor, actor: Actor) -> bool:
    """`me` answers for `actor`: themself, or an organization they administer."""
    return actor.pk == me.pk or administered_groups(person=me).filter(pk=actor.pk).exists()


@transaction.atomic
def add_project_member(
    *, project: Project, editor: User, actor: Actor, role: str
) -> ProjectMember | ProjectInvitation:
    """Invite a person or an organization to a project, or change a member's role (PROJECT_ROLES says who may).

    An invitation grants nothing until accepted; the invitee is told. Someone who
    blocks the inviter (an organization: any of its admins) cannot be invited by them."""
    me = _person(editor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if actor.kind == Actor.Kind.CITY:
        raise invalid("actor", _("Cities cannot be project members."))
    membership = ProjectMember.objects.filter(project=project, actor=actor).first()
    PROJECT_ROLES.check(
        by=_role_of(project, me), current=membership.role if membership else None, new=role,
        is_self=_speaks_for(me, actor), others_at_top=_other_owners(project, actor),
    )
    if membership is not None:
        membership.role = role
        membership.save(update_fields=["role"])
        index_on_commit(membership)
        audit(user=editor, action="project.member.role", subject=f"project:{project.slug}", actor=actor.handle, role=role)
        logger.info("project member slug=%s actor=%s role=%s by=%s", project.slug, actor.handle, role, me.handle)
        return membership
    answering = [actor] if actor.kind == Actor.Kind.PERSON else list(
        Actor.objects.filter(memberships__group=actor, memberships__role="admin")
    )
    if any(blocks(blocker=person, blocked=me) for person in answering):
        raise Forbidden(_("You cannot invite this person."))
    invitation, created = ProjectInvitation.objects.update_or_create(
        project=project, actor=actor, defaults={"role": role, "invited_by": me}
    )
    if created:
        feeds.record(
            actor=me, type="Invite", object=actor, target=project, publish=False,
            notify=[(person, Notification.Reason.INVITED) for person in answering],
        )
    audit(user=editor, action="project.member.invite", subject=f"project:{project.slug}", actor=actor.handle, role=role)
    logger.info("project invitation slug=%s actor=%s role=%s by=%s", project.slug, actor.handle, role, me.handle)
    return invitation


def _invitation(project: Project, actor: Actor) -> ProjectInvitation:
    invitation = ProjectInvitation.objects.select_for_update().filter(project=project, actor=actor).first()
    if invitation is None:
        raise Conflict(_("There is no invitation to accept or decline."))
    return invitation


def _require_invitee(me: Actor, actor: Actor) -> None:
    if not _speaks_for(me, actor):
        raise Forbidden(_("Only the invited person can answer an invitation."))


@transaction.atomic
def accept_project_invitation(*, project: Project, user: User, actor: Actor) -> ProjectMember:
    """The invitee (or an admin of the invited organization) accepts: only now a member, only now announced."""
    me = _person(user)
    _require_invitee(me, actor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    invitation = _invitation(project, actor)
    membership = ProjectMember.objects.create(project=project, actor=actor, role=invitation.role)
    invitation.delete()
    _sync_members_count(project)
    index_on_commit(membership)
    feeds.record(actor=actor, type="Join", object=project, streams=[project])
    audit(user=user, action="project.member.accept", subject=f"project:{project.slug}", actor=actor.handle)
    logger.info("project invitation accepted slug=%s actor=%s", project.slug, actor.handle)
    return membership


@transaction.atomic
def decline_project_invitation(*, project: Project, user: User, actor: Actor) -> None:
    me = _person(user)
    _require_invitee(me, actor)
    _invitation(project, actor).delete()
    audit(user=user, action="project.member.decline", subject=f"project:{project.slug}", actor=actor.handle)


@transaction.atomic
def remove_project_member(*, project: Project, editor: User, actor: Actor) -> None:
    """Leave (for yourself or an organization you administer), remove a member or withdraw an
    invitation, as PROJECT_ROLES allows; the last owner can neither leave nor be removed."""
    me = _person(editor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    membership = ProjectMember.objects.filter(project=project, actor=actor).first()
    if membership is None:
        invitation = ProjectInvitation.objects.filter(project=project, actor=actor).first()
        if invitation is None:
            raise invalid("actor", _("%(name)s is not a member of this project.") % {"name": actor.name})
        # Withdrawing an invitation is taking away the role it offers.
        PROJECT_ROLES.check(by=_role_of(project, me), current=invitation.role, new=LEAVE,
                            is_self=_speaks_for(me, actor), others_at_top=1)
        invitation.delete()
        audit(user=editor, action="project.member.withdraw", subject=f"project:{project.slug}", actor=actor.handle)
        return
    PROJECT_ROLES.check(
        by=_role_of(project, me), current=membership.role, new=LEAVE,
        is_self=_speaks_for(me, actor), others_at_top=_other_owners(project, actor),
    )
    index_on_commit(membership)
    membership.delete()
    if project.owner_id == actor.pk:
        # The project's `owner` names one of the remaining owners.
        project.owner_id = (
            ProjectMember.objects.filter(project=project, role=Role.OWNER).values_list("actor", flat=True).first()
        )
        project.save(update_fields=["owner"])
    _sync_members_count(project)
    feeds.record(actor=me, type="Remove", object=actor, target=project, streams=[project])
    audit(user=editor, action="project.member.remove", subject=f"project:{project.slug}", actor=actor.handle)
    logger.info("project member removed slug=%s actor=%s by=%s", project.slug, actor.handle, me.handle)


@transaction.atomic
def post_update(*, project: Project, author: User, body: str) -> ProjectUpdate:
    """A news post on the project page, by its owners and maintainers."""
    me = _person(author)
    if not selectors.can_edit_project(person=me, project=project):
        raise Forbidden(_("Only owners and maintainers can post updates."))
    if not body.strip():
        raise invalid("body", _("An update needs some text."))
    update = ProjectUpdate.objects.create(project=project, author=me, body=body, html=render_markdown(body))
    feeds.record(
        actor=me, type="Create", object=update, target=project, object_type="update",
        streams=_project_streams(project),
    )
    logger.info("project update slug=%s id=%s by=%s", project.slug, update.pk, me.handle)
    return update


# --- Collaboration requests --------------------------------------------------


@transaction.atomic
def open_collaboration(
    *,
    author: User,
    title: str,
    message: str,
    deadline: datetime | None = None,
    kind: str = CollaborationRequest.Kind.PARTNERSHIP,
    to_actor: Actor | None = None,
    to_project: Project | None = None,
    to_city: Actor | None = None,
    include_peer_cities: bool = False,
    needs: dict | None = None,
    from_project: Project | None = None,
    origin_city: Actor | None = None,
) -> CollaborationRequest:
    """A new collaboration request to exactly one actor, project or city; the target's side is notified."""
    me = _person(author)
    targets = [t for t in (to_actor, to_project, to_city) if t is not None]
    if len(targets) != 1:
        raise invalid("to_actor", _("Name exactly one target: to_actor, to_project or to_city."))
    if to_actor is not None and to_actor.pk == me.pk:
        raise invalid("to_actor", _("You cannot send a request to yourself."))
    if to_actor is not None and to_actor.kind == Actor.Kind.CITY:
        raise invalid("to_actor", _("Use to_city to address a city."))
    if include_peer_cities and to_city is None:
        raise invalid("include_peer_cities", _("Only a request to a city can include its peer cities."))
    if deadline is None:
        deadline = end_of_day_in(CollaborationRequest.DEFAULT_DEADLINE_DAYS)
    if deadline <= timezone.now():
        raise invalid("deadline", _("The deadline must be in the future."))
    if from_project is not None and not selectors.is_project_member(person=me, project=from_project):
        raise invalid("from_project", _("You can only send requests from projects you are a member of."))
    if origin_city is not None and not speaks_from(person=me, city=origin_city):
        raise invalid("origin_city", _("A request comes from your home city or a city you are a member of."))
    request = _create_request(
        me=me, title=title, message=message, kind=kind, deadline=deadline,
        to_actor=to_actor, to_project=to_project, to_city=to_city,
        include_peer_cities=include_peer_cities, needs=needs, from_project=from_project,
        origin_city=origin_city or me.city,
    )
    _federated().request_opened(request)  # an Offer, when the target lives on another instance
    return request


@transaction.atomic
def receive_collaboration(
    *,
    author: Actor,
    title: str,
    message: str,
    deadline: datetime,
    kind: str = CollaborationRequest.Kind.PARTNERSHIP,
    to_actor: Actor | None = None,
    to_project: Project | None = None,
    to_city: Actor | None = None,
    include_peer_cities: bool = False,
    needs: dict | None = None,
    origin_city: Actor | None = None,
) -> CollaborationRequest:
    """A request that an actor of another instance sent to one of ours (an ActivityPub
    Offer): the same request, activity and notifications as one made here."""
    targets = [t for t in (to_actor, to_project, to_city) if t is not None]
    if len(targets) != 1 or any(getattr(t, "is_remote", False) for t in targets):
        raise invalid("to_actor", _("Name exactly one target: to_actor, to_project or to_city."))
    if include_peer_cities and to_city is None:
        raise invalid("include_peer_cities", _("Only a request to a city can include its peer cities."))
    if deadline <= timezone.now():
        raise invalid("deadline", _("The deadline must be in the future."))
    return _create_request(
        me=author, title=title, message=message, kind=kind, deadline=deadline,
        to_actor=to_actor, to_project=to_project, to_city=to_city,
        include_peer_cities=include_peer_cities, needs=needs, from_project=None, origin_city=origin_city,
    )


def _federated():
    """Federation's side of requests and responses: what travels to other instances."""
    from federation import collaborations

    return collaborations


def _create_request(*, me: Actor, needs: dict | None, **fields) -> CollaborationRequest:
    needs = needs or {}
    request = CollaborationRequest.objects.create(author=me, **fields)
    request.needed_skills.set(tags_from_slugs(needs.get("skills", [])))
    request.needed_sectors.set(tags_from_slugs(needs.get("sectors", [])))
    index_on_commit(request)
    # The target's side on another instance is told there, by its own instance.
    recipients = selectors.target_side_people(request).exclude(handle__contains="@")
    streams = [s for s in (request.to_city, request.origin_city, request.to_project, request.from_project)
               if s is not None]
    feeds.record(
        actor=me, type="Create", object=request, target=request.target, object_type="collaboration",
        streams=streams,
        notify=[(person, Notification.Reason.REQUEST_RECEIVED) for person in recipients],
    )
    logger.info("collaboration opened id=%s by=%s", request.pk, me.handle)
    return request


# The life of a request, in one place: every status change goes through `_transition`
# (a person's action) or `close_expired_requests` (its deadline passing).
TRANSITIONS = Lifecycle("collaboration request", Status.values, {
    "accept": transition({Status.OPEN}, Status.ACCEPTED, "author"),
    "decline": transition({Status.OPEN}, Status.DECLINED, "target"),
    "withdraw": transition({Status.OPEN}, Status.WITHDRAWN, "author"),
    "close": transition({Status.OPEN}, Status.CLOSED, "author"),
    "expire": transition({Status.OPEN}, Status.CLOSED, "deadline"),
})

# A response: open until the author chooses it or another one.
RESPONSE_LIFE = Lifecycle("collaboration response", CollaborationResponse.Status.values, {
    "respond": transition({ABSENT}, CollaborationResponse.Status.OPEN),
    "choose": transition({CollaborationResponse.Status.OPEN}, CollaborationResponse.Status.ACCEPTED),
    "pass_over": transition({CollaborationResponse.Status.OPEN}, CollaborationResponse.Status.NOT_CHOSEN),
})

# Whole sentences per action, so that each translates as one (no English party or verb inside).
REFUSALS = {
    "accept": gettext_lazy("Only the author can accept a response to this request."),
    "decline": gettext_lazy("Only the side this request is addressed to can decline it."),
    "withdraw": gettext_lazy("Only the author can withdraw this request."),
    "close": gettext_lazy("Only the author can close this request."),
}


def _transition(*, request: CollaborationRequest, action: str, person: Actor) -> CollaborationRequest:
    """Check that `person` may `action` the request now; lock it and set its new status (not saved).

    Wrong party: 403. Wrong state: 409. Either way nothing has changed. A remote
    actor (the message of another instance) is a party by being the author or
    the target itself: its own instance decided who speaks for it.
    """
    rule = TRANSITIONS[action]
    if action not in REFUSALS:
        raise ValueError(f"{action} is not a person's action")
    request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
    if rule.party == "author":
        allowed = request.author_id == person.pk
    elif person.is_remote:
        allowed = person.pk in (request.to_actor_id, request.to_city_id)
    else:
        allowed = selectors.is_target_side(person=person, request=request)
    if not allowed:
        raise Forbidden(REFUSALS[action])
    request.status = TRANSITIONS.check(
        action, request.status,
        refused=_("This request is %(status)s: it can no longer be %(done)s.")
        % {"status": Status(request.status).label, "done": Status(TRANSITIONS[action].result).label},
    )
    if rule.result != Status.ACCEPTED:
        request.closed_at = timezone.now()
    return request


def close_expired_requests() -> int:
    """Close every open request past its deadline, through the table; returns how many.

    Called on read (list and detail) and before each transition, so nobody
    sees or acts on an open request whose deadline has passed; one indexed
    query when there is nothing to close. Each closing is what a person
    expects to see: the request reads closed everywhere (search included),
    its author is notified, and its stream says it closed at its deadline.
    """
    now = timezone.now()
    expired = CollaborationRequest.objects.filter(status__in=TRANSITIONS.sources("expire"), deadline__lte=now)
    # Checked first so that ordinary reads never take SQLite's write lock.
    if not expired.exists():
        return 0
    closed = 0
    with transaction.atomic():
        # Only the requests' rows are locked: PostgreSQL refuses FOR UPDATE on the nullable
        # side of the outer joins that select_related makes for the projects.
        for request in expired.select_for_update(of=("self",)).select_related("author", "to_project", "from_project"):
            request.status = TRANSITIONS.check("expire", request.status, refused="")
            request.closed_at = now
            request.save(update_fields=["status", "closed_at", "updated"])
            index_on_commit(request)
            feeds.record(
                actor=request.author, type="Update", object=request, object_type="collaboration",
                notify=[(request.author, Notification.Reason.REQUEST_EXPIRED)], notify_actor=True,
            )
            closed += 1
    if closed:
        logger.info("collaboration requests closed at their deadline count=%d", closed)
    return closed


@transaction.atomic
def accept_response(
    *, request: CollaborationRequest, user: User, response: CollaborationResponse | int
) -> CollaborationRequest:
    """The author accepts one open response; the others are marked not chosen."""
    close_expired_requests()
    me = _person(user)
    request = _transition(request=request, action="accept", person=me)
    response_id = response.pk if isinstance(response, CollaborationResponse) else response
    chosen = CollaborationResponse.objects.filter(
        pk=response_id, request=request, status__in=RESPONSE_LIFE.sources("choose")
    ).select_related("responder").first()
    if chosen is None:
        raise invalid("response", _("Choose an open response to this request."))
    _choose(request=request, chosen=chosen, me=me, user=user)
    _federated().response_accepted(request, chosen)
    return request


@transaction.atomic
def accept_from_remote(
    *, request: CollaborationRequest, author: Actor, response: CollaborationResponse | None
) -> CollaborationRequest:
    """The remote author of a request sent here accepted a response: the one made
    here (`response`), or one made elsewhere (None: every response here is passed over)."""
    close_expired_requests()
    request = _transition(request=request, action="accept", person=author)
    chosen = None
    if response is not None:
        chosen = CollaborationResponse.objects.filter(
            pk=response.pk, request=request, status__in=RESPONSE_LIFE.sources("choose")
        ).select_related("responder").first()
    _choose(request=request, chosen=chosen, me=author, user=None)
    return request


def _choose(*, request: CollaborationRequest, chosen: CollaborationResponse | None, me: Actor, user) -> None:
    if chosen is not None:
        chosen.status = RESPONSE_LIFE["choose"].result
        chosen.save(update_fields=["status"])
    request.responses.filter(status__in=RESPONSE_LIFE.sources("pass_over")).update(
        status=RESPONSE_LIFE["pass_over"].result
    )
    request.accepted_response = chosen
    request.closed_at = timezone.now()
    request.save()
    index_on_commit(request)
    streams = [s for s in (request.to_city, request.origin_city) if s is not None]
    if chosen is not None:
        feeds.record(
            actor=me, type="Accept", object=chosen, target=request, object_type="response", streams=streams,
            notify=[(chosen.responder, Notification.Reason.ACCEPTED)],
        )
    else:
        feeds.record(actor=me, type="Accept", object=request, object_type="collaboration", streams=streams)
    audit(user=user, action="collaboration.accept", subject=f"collaboration:{request.pk}",
          response=chosen.pk if chosen else None, **({"by": me.handle} if user is None else {}))
    logger.info("collaboration accepted id=%s response=%s", request.pk, chosen.pk if chosen else None)


@transaction.atomic
def decline_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The target's side declines the request; its author is told."""
    close_expired_requests()
    me = _person(user)
    request = _decline(request=request, me=me, user=user)
    _federated().request_declined(request)
    return request


@transaction.atomic
def decline_from_remote(*, request: CollaborationRequest, target: Actor) -> CollaborationRequest:
    """The remote target of one of our requests declined it (its instance's Reject)."""
    close_expired_requests()
    return _decline(request=request, me=target, user=None)


def _decline(*, request: CollaborationRequest, me: Actor, user) -> CollaborationRequest:
    request = _transition(request=request, action="decline", person=me)
    request.save()
    index_on_commit(request)
    feeds.record(
        actor=me, type="Reject", object=request, object_type="collaboration",
        notify=[(request.author, Notification.Reason.DECLINED)],
    )
    audit(user=user, action="collaboration.decline", subject=f"collaboration:{request.pk}",
          **({"by": me.handle} if user is None else {}))
    logger.info("collaboration declined id=%s by=%s", request.pk, me.handle)
    return request


@transaction.atomic
def withdraw_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The author withdraws the request."""
    close_expired_requests()
    request = end_request(request=request, action="withdraw", author=_person(user))
    _federated().request_ended(request)
    return request


@transaction.atomic
def close_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The author closes the request without choosing a response."""
    close_expired_requests()
    request = end_request(request=request, action="close", author=_person(user))
    _federated().request_ended(request)
    return request


@transaction.atomic
def end_request(*, request: CollaborationRequest, action: str, author: Actor) -> CollaborationRequest:
    """Withdraw or close (`action`) by its author: a person here, or the remote author
    of a request sent here (its instance's Update)."""
    if action not in ("withdraw", "close"):
        raise ValueError(action)
    request = _transition(request=request, action=action, person=author)
    request.save()
    index_on_commit(request)
    logger.info("collaboration %s id=%s", TRANSITIONS[action].result, request.pk)
    return request


@transaction.atomic
def respond_to_request(
    *,
    request: CollaborationRequest,
    responder: User,
    message: str,
    on_behalf_of: Actor | None = None,
    on_behalf_of_project: Project | None = None,
) -> CollaborationResponse:
    """Offer to collaborate, possibly for an organization one administers or a project one belongs to."""
    close_expired_requests()
    response = _respond(request=request, me=_person(responder), user=responder, message=message,
                        on_behalf_of=on_behalf_of, on_behalf_of_project=on_behalf_of_project)
    _federated().response_made(response)  # to the author's instance, when the request came from one
    return response


@transaction.atomic
def receive_response(*, request: CollaborationRequest, responder: Actor, message: str) -> CollaborationResponse:
    """A response that an actor of another instance made to one of our requests."""
    close_expired_requests()
    return _respond(request=request, me=responder, user=None, message=message,
                    on_behalf_of=None, on_behalf_of_project=None)


def _respond(
    *, request: CollaborationRequest, me: Actor, user, message: str,
    on_behalf_of: Actor | None, on_behalf_of_project: Project | None,
) -> CollaborationResponse:
    request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
    if request.author_id == me.pk:
        raise Forbidden(_("You cannot respond to your own request."))
    if blocks(blocker=request.author, blocked=me) or blocks(blocker=request.author, blocked=on_behalf_of):
        # Refused rather than swallowed: nothing pretends to reach the author.
        raise Forbidden(_("You cannot respond to this request."))
    if request.status != Status.OPEN:
        raise Conflict(
            _("This request is %(status)s: it takes no more responses.") % {"status": Status(request.status).label}
        )
    if on_behalf_of is not None and on_behalf_of_project is not None:
        raise invalid("on_behalf_of", _("Respond for an organization or for a project, not both."))
    if on_behalf_of is not None and (
        on_behalf_of.kind != Actor.Kind.ORGANIZATION or not is_group_admin(user=user, group=on_behalf_of)
    ):
        raise invalid("on_behalf_of", _("You can only respond for an organization you administer."))
    if on_behalf_of_project is not None and not selectors.is_project_member(
        person=me, project=on_behalf_of_project
    ):
        raise invalid("on_behalf_of_project", _("You can only respond for a project you are a member of."))
    try:
        with transaction.atomic():
            response = CollaborationResponse.objects.create(
                request=request, responder=me, message=message,
                on_behalf_of=on_behalf_of, on_behalf_of_project=on_behalf_of_project,
            )
    except IntegrityError:
        raise Conflict(_("You already have an open response to this request.")) from None
    CollaborationRequest.objects.filter(pk=request.pk).update(responses_count=F("responses_count") + 1)
    index_on_commit(response)
    feeds.record(
        actor=me, type="Offer", object=response, target=request, object_type="response",
        notify=[(request.author, Notification.Reason.RESPONSE)],
    )
    logger.info("collaboration response id=%s request=%s by=%s", response.pk, request.pk, me.handle)
    return response
