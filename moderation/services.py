"""Every write of moderation: hiding content, suspending accounts, blocks and reports.

Each public function is one transaction that writes its audit row with the
change, so what moderators did (and who blocked whom) can be reconstructed.
Repeating an action is harmless: nothing changes and no row is written.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds import services as feeds
from moderation.models import Block, Report
from novosphere import kinds
from novosphere.dispatch import BLOCKS_CHANGED, tell_user_sockets_on_commit
from novosphere.errors import Conflict, invalid
from novosphere.models import audit
from profiles.models import Actor, User
from profiles.services import set_suspended, set_verified
from search.sync import index_on_commit

logger = logging.getLogger(__name__)

def hideable_kind(name: str) -> kinds.Kind:
    """The kind moderators call `name` (`project`, `collaboration`, `update`, `event`),
    if moderators may hide it; KeyError otherwise."""
    kind = kinds.kind_for_moderation(name)
    if kind is None or not kind.hideable:
        raise KeyError(name)
    return kind


@transaction.atomic
def set_hidden(*, kind: str, pk, hidden: bool, moderator: User, reason: str = "", **why) -> bool:
    """Hide (or show again) a project, collaboration request, project update or event; returns whether it changed.

    The thing disappears through its kind's visibility rule, and the activities
    about it, and about what follows from it, with it (their audiences follow
    the save: `feeds.signals`). Search reindexes the object's document and
    those that depend on it.
    """
    declared = hideable_kind(kind)
    thing = declared.model._default_manager.select_for_update().get(pk=pk)
    if thing.hidden == hidden:
        return False
    declared.set_hidden(thing, hidden)
    index_on_commit(thing)  # its document and those that depend on it
    audit(
        user=moderator, action=f"{kind}.{'hide' if hidden else 'unhide'}", subject=declared.moderation_subject(thing),
        reason=reason, **why,
    )
    logger.info("moderation %s %s hidden=%s by=%s", kind, pk, hidden, moderator.username)
    return True


def suspend_actor(*, actor: Actor, suspended: bool, moderator: User, reason: str = "", **why) -> bool:
    """Suspend or reinstate an account or organization; returns whether it changed."""
    return set_suspended(actors=[actor], suspended=suspended, moderator=moderator, reason=reason, **why) == 1


def verify_city(*, city: Actor, verified: bool, moderator: User, reason: str = "") -> bool:
    """Verify a city (or take the verification back); returns whether it changed. Audited."""
    return set_verified(cities=[city], verified=verified, moderator=moderator, reason=reason) == 1


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

    kind = kinds.kind_for_moderation(target_type)
    if kind is None:
        raise Http404
    try:
        found = kind.visible_to(viewer).filter(kind.lookup(target_id)).first()
    except (ValueError, TypeError):  # not an id of this kind at all
        found = None
    if found is None:
        raise Http404
    return found


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
    kind = kinds.kind_for_moderation(report.target_type)
    target = kind.model._default_manager.filter(pk=report.target_pk).first() if kind else None
    return kind.author_of(target) if target is not None else None


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
        try:
            kind = hideable_kind(report.target_type)
        except KeyError:
            raise invalid("action", _("Only projects, collaboration requests, updates and events can be hidden.")) from None
        if not kind.model._default_manager.filter(pk=report.target_pk).exists():
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
