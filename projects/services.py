"""Every write about projects, their members and updates, and collaboration requests.

Each public function is one transaction that authorizes, validates, writes and
records its activity (dispatched by feeds after commit), so an activity exists
exactly when its action does.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from feeds import services as feeds
from feeds.models import Notification
from moderation.selectors import blocks
from novosphere.api.errors import Conflict, Forbidden, invalid
from novosphere.lifecycle import ABSENT, Lifecycle, transition
from novosphere.models import audit
from novosphere.rendering import render_markdown
from profiles.models import Actor, User
from profiles.selectors import administered_groups, is_group_admin, viewer_actor
from profiles.services import tags_from_slugs
from projects import selectors
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
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
    if wanted:
        if Project.objects.filter(slug=wanted).exists():
            raise invalid("slug", _("This slug is already taken."))
        return wanted
    base = (slugify(title) or "projet")[:70]
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exists():
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


@transaction.atomic
def add_project_member(*, project: Project, editor: User, actor: Actor, role: str) -> ProjectMember:
    """Add a person or an organization to a project, or change their role; by owners and maintainers.

    Only owners make owners, and the last owner cannot be demoted.
    """
    me = _person(editor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not selectors.can_edit_project(person=me, project=project):
        raise Forbidden(_("Only owners and maintainers can manage members."))
    if actor.kind == Actor.Kind.CITY:
        raise invalid("actor", _("Cities cannot be project members."))
    if role == Role.OWNER and not selectors.is_project_owner(person=me, project=project):
        raise Forbidden(_("Only owners can make someone an owner."))
    membership = ProjectMember.objects.filter(project=project, actor=actor).first()
    if membership is not None:
        if membership.role == Role.OWNER and role != Role.OWNER:
            _refuse_if_last_owner(project, membership)
        membership.role = role
        membership.save(update_fields=["role"])
        created = False
    else:
        membership = ProjectMember.objects.create(project=project, actor=actor, role=role)
        created = True
    _sync_members_count(project)
    index_on_commit(membership)
    if created:
        feeds.record(
            actor=me, type="Add", object=actor, target=project, streams=[project],
            notify=[(actor, Notification.Reason.ADDED_TO_PROJECT)] if actor.kind == Actor.Kind.PERSON else [],
        )
    audit(user=editor, action="project.member.set", subject=f"project:{project.slug}", actor=actor.handle, role=role)
    logger.info("project member slug=%s actor=%s role=%s by=%s", project.slug, actor.handle, role, me.handle)
    return membership


def _refuse_if_last_owner(project: Project, membership: ProjectMember) -> None:
    owners = ProjectMember.objects.filter(project=project, role=Role.OWNER).exclude(pk=membership.pk)
    if not owners.exists():
        raise Conflict(_("A project keeps at least one owner: name another owner first."))


@transaction.atomic
def remove_project_member(*, project: Project, editor: User, actor: Actor) -> None:
    """Remove a member (owners and maintainers), or leave (anyone, for themself).

    Maintainers cannot remove owners; the last owner can neither leave nor be removed.
    """
    me = _person(editor)
    project = Project.objects.select_for_update().get(pk=project.pk)
    membership = ProjectMember.objects.filter(project=project, actor=actor).first()
    leaving = actor.pk == me.pk or actor.pk in set(administered_groups(person=me).values_list("pk", flat=True))
    if not leaving and not selectors.can_edit_project(person=me, project=project):
        raise Forbidden(_("Only owners and maintainers can remove members."))
    if membership is None:
        raise invalid("actor", _("%(handle)s is not a member of this project.") % {"handle": actor.handle})
    if membership.role == Role.OWNER:
        if not leaving and not selectors.is_project_owner(person=me, project=project):
            raise Forbidden(_("Only owners can remove an owner."))
        _refuse_if_last_owner(project, membership)
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
    deadline: datetime,
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
    if deadline <= timezone.now():
        raise invalid("deadline", _("The deadline must be in the future."))
    if from_project is not None and not selectors.is_project_member(person=me, project=from_project):
        raise invalid("from_project", _("You can only send requests from projects you are a member of."))
    needs = needs or {}
    request = CollaborationRequest.objects.create(
        title=title, message=message, kind=kind, author=me, deadline=deadline,
        to_actor=to_actor, to_project=to_project, to_city=to_city,
        include_peer_cities=include_peer_cities, from_project=from_project,
        origin_city=origin_city or me.city,
    )
    request.needed_skills.set(tags_from_slugs(needs.get("skills", [])))
    request.needed_sectors.set(tags_from_slugs(needs.get("sectors", [])))
    index_on_commit(request)
    recipients = selectors.target_side_people(request)
    streams = [s for s in (to_city, request.origin_city, to_project, from_project) if s is not None]
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

PARTY_NAMES = {"author": "the author", "target": "the target's side"}
DONE = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn", "close": "closed"}


def _transition(*, request: CollaborationRequest, action: str, person: Actor) -> CollaborationRequest:
    """Check that `person` may `action` the request now; lock it and set its new status (not saved).

    Wrong party: 403. Wrong state: 409. Either way nothing has changed.
    """
    rule = TRANSITIONS[action]
    if rule.party not in PARTY_NAMES:
        raise ValueError(f"{action} is not a person's action")
    request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
    allowed = (
        request.author_id == person.pk
        if rule.party == "author"
        else selectors.is_target_side(person=person, request=request)
    )
    if not allowed:
        raise Forbidden(
            _("Only %(party)s can %(action)s this request.") % {"party": PARTY_NAMES[rule.party], "action": action}
        )
    request.status = TRANSITIONS.check(
        action, request.status,
        refused=_("This request is %(status)s: it can no longer be %(done)s.")
        % {"status": request.status, "done": DONE[action]},
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
        for request in expired.select_for_update().select_related("author", "to_project", "from_project"):
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
    chosen.status = RESPONSE_LIFE["choose"].result
    chosen.save(update_fields=["status"])
    request.responses.filter(status__in=RESPONSE_LIFE.sources("pass_over")).update(
        status=RESPONSE_LIFE["pass_over"].result
    )
    request.accepted_response = chosen
    request.closed_at = timezone.now()
    request.save()
    index_on_commit(request)
    feeds.record(
        actor=me, type="Accept", object=chosen, target=request, object_type="response",
        streams=[s for s in (request.to_city, request.origin_city) if s is not None],
        notify=[(chosen.responder, Notification.Reason.ACCEPTED)],
    )
    audit(user=user, action="collaboration.accept", subject=f"collaboration:{request.pk}", response=chosen.pk)
    logger.info("collaboration accepted id=%s response=%s", request.pk, chosen.pk)
    return request


@transaction.atomic
def decline_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The target's side declines the request; its author is told."""
    close_expired_requests()
    me = _person(user)
    request = _transition(request=request, action="decline", person=me)
    request.save()
    index_on_commit(request)
    feeds.record(
        actor=me, type="Reject", object=request, object_type="collaboration",
        notify=[(request.author, Notification.Reason.DECLINED)],
    )
    audit(user=user, action="collaboration.decline", subject=f"collaboration:{request.pk}")
    logger.info("collaboration declined id=%s by=%s", request.pk, me.handle)
    return request


@transaction.atomic
def withdraw_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The author withdraws the request."""
    close_expired_requests()
    request = _transition(request=request, action="withdraw", person=_person(user))
    request.save()
    index_on_commit(request)
    logger.info("collaboration withdrawn id=%s", request.pk)
    return request


@transaction.atomic
def close_request(*, request: CollaborationRequest, user: User) -> CollaborationRequest:
    """The author closes the request without choosing a response."""
    close_expired_requests()
    request = _transition(request=request, action="close", person=_person(user))
    request.save()
    index_on_commit(request)
    logger.info("collaboration closed id=%s", request.pk)
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
    me = _person(responder)
    request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
    if request.author_id == me.pk:
        raise Forbidden(_("You cannot respond to your own request."))
    if blocks(blocker=request.author, blocked=me) or blocks(blocker=request.author, blocked=on_behalf_of):
        # Refused rather than swallowed: nothing pretends to reach the author.
        raise Forbidden(_("You cannot respond to this request."))
    if request.status != Status.OPEN:
        raise Conflict(_("This request is %(status)s: it takes no more responses.") % {"status": request.status})
    if on_behalf_of is not None and on_behalf_of_project is not None:
        raise invalid("on_behalf_of", _("Respond for an organization or for a project, not both."))
    if on_behalf_of is not None and (
        on_behalf_of.kind != Actor.Kind.ORGANIZATION or not is_group_admin(user=responder, group=on_behalf_of)
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
