"""Every write of moderation: hiding content, suspending accounts, blocks and reports.

Each public function is one transaction that writes its audit row with the
change, so what moderators did (and who blocked whom) can be reconstructed.
Repeating an action is harmless: nothing changes and no row is written.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds import services as feeds
from feeds.models import Activity
from moderation.models import Block, Report
from novosphere.api.errors import Conflict, invalid
from novosphere.dispatch import BLOCKS_CHANGED, tell_user_sockets_on_commit
from novosphere.models import audit
from profiles.models import Actor, User
from profiles.selectors import actor_for_viewer
from profiles.services import set_suspended
from projects.models import CollaborationRequest, Project, ProjectUpdate
from projects.selectors import project_for_viewer, request_for_viewer, update_for_viewer

logger = logging.getLogger(__name__)

HIDEABLE = {"project": Project, "collaboration": CollaborationRequest, "update": ProjectUpdate}


def subject_of(kind: str, thing) -> str:
    """The audit subject of a moderated object: `project:<slug>`, `collaboration:<id>`, `update:<id>`, `actor:<handle>`."""
    if kind == "project":
        return f"project:{thing.slug}"
    if kind == "actor":
        return f"actor:{thing.handle}"
    return f"{kind}:{thing.pk}"


def _activities_about(kind: str, pk: int) -> Q:
    """Activities whose object or target is the request or update `pk` (as `feeds.services.record` names them)."""
    if kind == "update":
        return Q(object_type="update", object_id=str(pk))
    names = ["collaboration", CollaborationRequest._meta.model_name]
    return Q(object_type__in=names, object_id=str(pk)) | Q(target_type__in=names, target_id=str(pk))


@transaction.atomic
def set_hidden(*, kind: str, pk: int, hidden: bool, moderator: User, reason: str = "", **why) -> bool:
    """Hide (or show again) a project, collaboration request or project update; returns whether it changed.

    Projects disappear through `visible_projects` (and with them their
    activity); requests and updates also mark the activities about them
    `hidden`, the column the feed reads. Saving fires the search sync, which
    reindexes the object's document and those that depend on it.
    """
    model = HIDEABLE[kind]
    thing = model.objects.select_for_update().get(pk=pk)
    if thing.hidden == hidden:
        return False
    thing.hidden = hidden
    thing.save(update_fields=["hidden"])
    if kind != "project":
        Activity.objects.filter(_activities_about(kind, pk)).update(hidden=hidden)
    audit(
        user=moderator, action=f"{kind}.{'hide' if hidden else 'unhide'}", subject=subject_of(kind, thing),
        reason=reason, **why,
    )
    logger.info("moderation %s %s hidden=%s by=%s", kind, pk, hidden, moderator.username)
    return True


def suspend_actor(*, actor: Actor, suspended: bool, moderator: User, reason: str = "", **why) -> bool:
    """Suspend or reinstate an account or organization; returns whether it changed."""
    return set_suspended(actors=[actor], suspended=suspended, moderator=moderator, reason=reason, **why) == 1


# --- Blocks --------------------------------------------------------------------


@transaction.atomic
def block_actor(*, blocker: Actor, blocked: Actor, user: User) -> bool:
    """`blocker` stops hearing from `blocked`; follows end both ways. Returns whether the block is new.

    `blocked` is not told: nothing is recorded on any stream or inbox.
    """
    if blocked.pk == blocker.pk:
        raise invalid("actor", _("You cannot block yourself."))
    if blocked.kind == Actor.Kind.CITY:
        raise invalid("actor", _("Only people and organizations can be blocked."))
    try:
        with transaction.atomic():
            Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return False  # already blocked: the unique constraint makes this race-free
    feeds.unfollow(follower=blocker, target=blocked)
    feeds.unfollow(follower=blocked, target=blocker)
    audit(user=user, action="actor.block", subject=f"actor:{blocked.handle}", blocker=blocker.handle)
    _blocks_changed_on_commit(blocker)
    logger.info("block blocker=%s blocked=%s", blocker.handle, blocked.handle)
    return True


@transaction.atomic
def unblock_actor(*, blocker: Actor, blocked: Actor, user: User) -> bool:
    """Lift a block (follows are not restored); returns whether a block ended."""
    deleted, _rows = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    if not deleted:
        return False
    audit(user=user, action="actor.unblock", subject=f"actor:{blocked.handle}", blocker=blocker.handle)
    _blocks_changed_on_commit(blocker)
    logger.info("unblock blocker=%s blocked=%s", blocker.handle, blocked.handle)
    return True


def _blocks_changed_on_commit(blocker: Actor) -> None:
    """Open sockets keep the set of authors their reader blocks: tell the blocker's to re-read it."""
    if blocker.user_id is not None:
        tell_user_sockets_on_commit(blocker.user_id, BLOCKS_CHANGED)


# --- Reports -------------------------------------------------------------------


def reported_target(*, viewer, target_type: str, target_id: str):
    """The object a report names, if `viewer` may see it: 404 otherwise, hidden or unknown alike."""
    from django.http import Http404

    if target_type == Report.TargetType.ACTOR:
        return actor_for_viewer(viewer=viewer, handle=target_id)
    if target_type == Report.TargetType.PROJECT:
        return project_for_viewer(viewer=viewer, slug=target_id)
    if not target_id.isdigit() or len(target_id) > 18:
        raise Http404
    if target_type == Report.TargetType.COLLABORATION:
        return request_for_viewer(viewer=viewer, pk=int(target_id))
    return update_for_viewer(viewer=viewer, pk=int(target_id))


@transaction.atomic
def report_content(
    *, reporter: User, target_type: str, target_id: str, reason: str, message: str = ""
) -> tuple[Report, bool]:
    """Report what the reporter can see; a repeat while the first is open returns it. (report, created)."""
    target = reported_target(viewer=reporter, target_type=target_type, target_id=target_id)
    existing = Report.objects.filter(
        reporter=reporter, target_type=target_type, target_pk=target.pk, status=Report.Status.OPEN
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, target_type=target_type, target_pk=target.pk, target_ident=target_id,
                reason=reason, message=message,
            )
    except IntegrityError:  # the same report, sent twice at once
        return Report.objects.get(
            reporter=reporter, target_type=target_type, target_pk=target.pk, status=Report.Status.OPEN
        ), False
    audit(user=reporter, action="report.create", subject=f"{target_type}:{target_id}", report=report.pk, reason=reason)
    logger.info("report id=%s target=%s:%s by=%s", report.pk, target_type, target_id, reporter.username)
    return report, True


def _author_of(report: Report) -> Actor | None:
    """Who a `suspend` resolution suspends: the reported actor, or the author of the reported content."""
    if report.target_type == Report.TargetType.ACTOR:
        return Actor.objects.filter(pk=report.target_pk).first()
    if report.target_type == Report.TargetType.PROJECT:
        return Actor.objects.filter(owned_projects=report.target_pk).first()
    if report.target_type == Report.TargetType.COLLABORATION:
        return Actor.objects.filter(collaboration_requests=report.target_pk).first()
    return Actor.objects.filter(project_updates=report.target_pk).first()


@transaction.atomic
def resolve_report(*, report: Report, moderator: User, action: str, reason: str = "") -> Report:
    """Dismiss a report, or act on it (hide the content, suspend its author) through the
    same services as the moderation API. Every open report on the same target is
    resolved with it, so the queue holds each thing once."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status == Report.Status.RESOLVED:
        raise Conflict(_("This report is already resolved."))
    why = {"report": report.pk}
    if action == Report.Resolution.HIDE:
        if report.target_type not in HIDEABLE:
            raise invalid("action", _("Only projects, collaboration requests and updates can be hidden."))
        if not HIDEABLE[report.target_type].objects.filter(pk=report.target_pk).exists():
            raise Conflict(_("The reported content no longer exists."))
        set_hidden(kind=report.target_type, pk=report.target_pk, hidden=True, moderator=moderator, reason=reason, **why)
    elif action == Report.Resolution.SUSPEND:
        author = _author_of(report)
        if author is None:
            raise Conflict(_("The reported content no longer exists."))
        suspend_actor(actor=author, suspended=True, moderator=moderator, reason=reason, **why)
    now = timezone.now()
    same_target = Report.objects.filter(
        target_type=report.target_type, target_pk=report.target_pk, status=Report.Status.OPEN
    )
    resolved_ids = list(same_target.values_list("pk", flat=True))
    same_target.update(
        status=Report.Status.RESOLVED, resolution=action, resolution_reason=reason,
        resolved_by=moderator, resolved_at=now,
    )
    audit(
        user=moderator, action="report.resolve", subject=f"report:{report.pk}", resolution=action,
        reason=reason, target=f"{report.target_type}:{report.target_ident}", reports=resolved_ids,
    )
    logger.info("report resolved id=%s action=%s by=%s", report.pk, action, moderator.username)
    report.refresh_from_db()
    return report
