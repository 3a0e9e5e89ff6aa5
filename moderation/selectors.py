"""Reads about blocks, reports and who moderates.

Who blocks whom is decided here; each visibility selector (activities,
collaboration requests, responses, suggestions) asks `blocked_by`.
"""

from django.db import router
from django.db.models import QuerySet

from moderation.models import Block, Report
from novosphere.compiled import compiled_rows
from profiles.models import Actor


def is_moderator(user) -> bool:
    """Moderators are staff accounts (`is_staff`), the same people who use the admin."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def blocked_by(actor: Actor | None) -> QuerySet:
    """Ids of the actors `actor` blocks, as a subquery (empty for nobody)."""
    if actor is None:
        return Block.objects.none().values("blocked")
    return Block.objects.filter(blocker=actor).values("blocked")


def blocked_ids(actor: Actor | None) -> set[int]:
    """Ids of the actors `actor` blocks, read now (every feed read asks: compiled once)."""
    if actor is None:
        return set()
    rows = compiled_rows("moderation.blocked_ids", _blocked_of, using=router.db_for_read(Block), blocker=actor.pk)
    return {blocked for (blocked,) in rows}


def _blocked_of(blocker):
    return blocked_by(blocker).values_list("blocked")  # `blocker`: the actor's id, a compiled value


def blocks(*, blocker: Actor | None, blocked: Actor | None) -> bool:
    """Whether `blocker` blocks `blocked`."""
    if blocker is None or blocked is None:
        return False
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def blockers_among(*, author: Actor, recipients: list[int]) -> set[int]:
    """Those of `recipients` (actor ids) who block `author`: they are not notified of its activity."""
    if not recipients:
        return set()
    return set(Block.objects.filter(blocked=author, blocker__in=recipients).values_list("blocker", flat=True))


def blocks_of(actor: Actor) -> QuerySet[Block]:
    """The actors `actor` blocks, newest block first, suspended ones left out like everywhere."""
    return Block.objects.filter(blocker=actor, blocked__suspended=False).select_related("blocked")


def reports_for_moderators(status: str | None = None) -> QuerySet[Report]:
    reports = Report.objects.select_related("reporter__actor", "resolved_by")
    return reports.filter(status=status) if status else reports
