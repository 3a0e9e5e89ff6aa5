"""Every write of the follow graph and the activity stream."""

import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from ulid import ULID

from feeds import dispatch, summaries
from feeds.models import Activity, Follow, MergedStream, Notification, StreamEntry, TimelineEntry
from novosphere import kinds
from novosphere.errors import Forbidden, invalid
from profiles.models import Actor

logger = logging.getLogger(__name__)


def describe(thing) -> tuple[str, str, str]:
    """(type, id, name) of anything an activity can point at, as its kind names it."""
    kind = kinds.kind_of(thing)
    return kind.activity_type(thing), kind.ident(thing), kind.name_of(thing)[:200]


def next_activity_id() -> str:
    """A time-sorted id, larger than every committed activity id, allocated in commit order.

    Readers resume "after the last id I saw" (REST cursors, websocket resume),
    which is only safe if no activity can commit later with a smaller id. So
    the id is allocated under a lock held until the transaction ends: SQLite's
    IMMEDIATE transactions already serialize writers; on PostgreSQL a
    transaction-level advisory lock does. Services call `record` last, so the
    lock is held only for the tail of the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACTIVITY_ID_LOCK])
    candidate = ULID()
    latest = Activity.objects.order_by("-id").values_list("id", flat=True).first()
    if latest and str(candidate) <= latest:
        candidate = ULID.from_int(int(ULID.from_str(latest)) + 1)  # same millisecond: keep order
    return str(candidate)


ACTIVITY_ID_LOCK = 7_362_001  # an arbitrary constant naming the activity-id lock
def _followers_counts(publishers: dict) -> dict[str, int]:
    """Followers of each stream, from the counter its publisher keeps, read from the
    database rather than the objects in hand, which may predate the latest follows:
    one query per kind of publisher, whatever the number of streams, since this runs
    on the writer's request. A stream with no publisher counts 0."""
    counts = dict.fromkeys(publishers, 0)
    by_model: dict = {}
    for key, publisher in publishers.items():
        if isinstance(publisher, str):
            publisher = kinds.stream_publisher(key)
        if publisher is not None:
            by_model.setdefault(type(publisher), {})[publisher.pk] = key
    for model, keys in by_model.items():
        for pk, followers in model.objects.filter(pk__in=keys).values_list("pk", "followers_count"):
            counts[keys[pk]] = followers
    return counts


def record(
    *,
    actor: Actor,
    type: str,
    object,
    target=None,
    streams: Iterable = (),
    object_type: str | None = None,
    notify: Iterable[tuple[Actor, str]] = (),
    notify_actor: bool = False,
    publish: bool = True,
) -> Activity:
    """Record one activity inside the caller's transaction; it is dispatched after commit.

    `streams` are the streams it is published on besides its author's own
    (actors, projects or `kind:key` strings). Its subject (`kinds.subject_of`:
    the object, or the target when the object is an actor) decides who may
    see it, now and whenever the subject changes. `notify` lists `(recipient,
    reason)` pairs for the people it concerns directly (a `Notification.Reason`);
    the author is never notified of their own action (unless `notify_actor`: what
    happened to their thing without them, a deadline passing), nor is anyone who
    blocks the author. `publish=False` puts it on no stream and no timeline: only
    the notified see it (an invitation is told to the invitee alone, not announced).
    """
    from moderation.selectors import blockers_among

    object_kind, object_id, object_name = describe(object)
    target_kind, target_id, target_name = describe(target) if target is not None else ("", "", "")
    texts = summaries.render_texts(actor=actor, type=type, object=object, target=target, object_type=object_type or "")
    subject = kinds.subject_of(object, target)
    subject_kind = kinds.kind_of(subject) if subject is not None else None
    activity = Activity.objects.create(
        id=next_activity_id(),
        type=type,
        actor=actor,
        object_type=object_type or object_kind,
        object_id=object_id,
        object_name=object_name,
        target_type=target_kind,
        target_id=target_id,
        target_name=target_name,
        object_url=kinds.kind_of(object).url_of(object),
        target_url=kinds.kind_of(target).url_of(target) if target is not None else "",
        texts=texts,
        subject_kind=subject_kind.name if subject_kind else "",
        subject_id=kinds.subject_id(subject) if subject is not None else "",
        audience=kinds.audience_of(subject_kind, [subject.pk])[subject.pk] if subject is not None else kinds.Audience.EVERYONE,
        published=timezone.now(),
    )
    publishers = {kinds.stream_key(actor): actor} if publish else {}
    for stream in streams if publish else ():
        publishers.setdefault(kinds.stream_key(stream), stream)
    # Which streams are too big to copy to each follower is decided here, once.
    limit = settings.FEEDS_FANOUT_MAX_FOLLOWERS
    merged = {key for key, followers in _followers_counts(publishers).items() if followers > limit}
    StreamEntry.objects.bulk_create(
        [StreamEntry(stream=key, activity=activity, merged_at_read=key in merged) for key in publishers]
    )
    if merged:
        MergedStream.objects.bulk_create([MergedStream(stream=key) for key in merged], ignore_conflicts=True)
    # A home timeline is the person's own stream plus the streams they follow, as
    # the websocket sends it: the author, and a person another's action is
    # published on ("Alice followed Bob" is on Bob's stream), see it at once,
    # whatever the fan-out's delay. The fan-out only reaches followers.
    owners = ({actor.pk} if publish else set()) | {
        publisher.pk for publisher in publishers.values()
        if isinstance(publisher, Actor) and publisher.kind == Actor.Kind.PERSON
    }
    TimelineEntry.objects.bulk_create([TimelineEntry(owner_id=owner, activity=activity) for owner in owners])
    # An actor of another instance is told by its own instance, from what federation sends there.
    recipients = {
        recipient.pk: (recipient, reason) for recipient, reason in notify
        if (notify_actor or recipient.pk != actor.pk) and not recipient.is_remote
    }
    for blocker in blockers_among(author=actor, recipients=list(recipients)):
        del recipients[blocker]
    Notification.objects.bulk_create(
        [Notification(recipient=recipient, activity=activity, reason=reason) for recipient, reason in recipients.values()]
    )
    dispatch.deliver_on_commit(activity.id)
    return activity


def refresh_audiences(kind: kinds.Kind, pks) -> int:
    """Bring the stored audience of the activities about the objects `pks` of `kind`, and
    about everything whose visibility follows from them, in step with their kinds' rules.

    Called when a subject changes (`feeds.signals`), in the same transaction, so no
    reader ever sees an activity the subject no longer allows. Returns rows written."""
    written = sum(
        _write_audiences(each_kind, each_pks)
        for each_kind, each_pks in [(kind, list(pks)), *kinds.dependents(kind, list(pks))]
    )
    if written:
        logger.info("activity audiences refreshed kind=%s objects=%d rows=%d", kind.name, len(pks), written)
    return written


AUDIENCE_BATCH = 500  # primary keys per UPDATE, well within every database's parameter limit


def refresh_every_audience() -> int:
    """Recompute every stored audience (after an upgrade, or a bulk change that bypassed the models)."""
    written = 0
    for kind in kinds.all_kinds():
        pks = Activity.objects.filter(subject_kind=kind.name).values_list("subject_id", flat=True).distinct()
        written += _write_audiences(kind, [kind.model._meta.pk.to_python(pk) for pk in pks if pk])
    return written


def _write_audiences(kind: kinds.Kind, pks: list) -> int:
    """Rewrite the audience of the activities about the objects `pks` of `kind`, in batches."""
    written = 0
    for start in range(0, len(pks), AUDIENCE_BATCH):
        chunk = pks[start:start + AUDIENCE_BATCH]
        about = Activity.objects.filter(subject_kind=kind.name, subject_id__in=[str(pk) for pk in chunk])
        written += about.update(audience=kinds.audience_expression(kind, chunk))
    return written


def forget_subject(kind: kinds.Kind, pk) -> int:
    """A deleted thing takes the activities about it along (as a deleted author does)."""
    deleted, _rows = Activity.objects.filter(subject_kind=kind.name, subject_id=str(pk)).delete()
    return deleted


def _target_filter(target) -> dict:
    """The Follow field that names `target`: `target_actor` or `target_project`, after its kind."""
    return {f"target_{kinds.kind_of(target).name}": target}


def follow(*, follower: Actor, target) -> bool:
    """Follow an actor or a project. Repeating it is harmless; returns whether it is new."""
    if isinstance(target, Actor) and target.pk == follower.pk:
        raise invalid("target", _("You cannot follow yourself."))
    if isinstance(target, Actor):
        refuse_if_blocked(follower=follower, target=target)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, **_target_filter(target))
        except IntegrityError:
            return False  # already following: the unique constraint makes this race-free
        type(target).objects.filter(pk=target.pk).update(followers_count=F("followers_count") + 1)
        Actor.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
        record(
            actor=follower,
            type="Follow",
            object=target,
            streams=[target],
            notify=[(target, Notification.Reason.FOLLOWED)] if isinstance(target, Actor) and target.kind == Actor.Kind.PERSON else [],
        )
        _home_streams_changed(follower)
    logger.info("follow follower=%s target=%s", follower.handle, kinds.stream_key(target))
    return True


def refuse_if_blocked(*, follower: Actor, target: Actor) -> None:
    """A block, either way, rules out a follow: 403 (a block ended any follow already)."""
    from moderation.selectors import blocks

    if blocks(blocker=follower, blocked=target):
        raise Forbidden(_("You block this account: unblock it first."))
    if blocks(blocker=target, blocked=follower):
        raise Forbidden(_("You cannot follow this account."))


def unfollow(*, follower: Actor, target) -> bool:
    """Stop following. Repeating it is harmless; returns whether a follow ended."""
    with transaction.atomic():
        deleted, _ignored = Follow.objects.filter(follower=follower, **_target_filter(target)).delete()
        if not deleted:
            return False
        type(target).objects.filter(pk=target.pk).update(followers_count=F("followers_count") - 1)
        Actor.objects.filter(pk=follower.pk).update(following_count=F("following_count") - 1)
        _home_streams_changed(follower)
    logger.info("unfollow follower=%s target=%s", follower.handle, kinds.stream_key(target))
    return True


def _home_streams_changed(follower: Actor) -> None:
    """Open sockets cache their home streams rather than read the follow graph on
    every wake-up: tell the follower's to re-read them. Registered after `record`,
    so the follow's own activity is pushed first."""
    if follower.user_id is not None:
        dispatch.follows_changed_on_commit(follower.user_id)


def fan_out_activity(*, activity_id: str) -> int:
    """Copy an activity into the home timelines of its streams' followers; returns rows tried.

    Runs after commit (the `feeds.fan_out` work of `novosphere.publisher`, in a
    Celery worker at scale). Idempotent: the unique (owner, activity) constraint
    makes a redelivered or repeated run add nothing, so a worker killed mid-way
    loses nothing once the outbox runs it again. Streams
    marked `merged_at_read` are skipped: readers merge those themselves.
    Visibility is not decided here but on every read, so an activity copied
    before its project turned private is still hidden afterwards.
    """
    activity = Activity.objects.filter(pk=activity_id).only("pk").first()
    if activity is None:
        return 0  # deleted since (its whole action rolled back or was removed)
    batch_size = settings.FEEDS_FANOUT_BATCH_SIZE
    pause = settings.FEEDS_FANOUT_BATCH_PAUSE
    keys = StreamEntry.objects.filter(activity_id=activity_id, merged_at_read=False).values_list("stream", flat=True)
    written = 0
    for key in keys:
        target = kinds.stream_publisher(key)
        if target is None:
            continue
        follows = Follow.objects.filter(**_target_filter(target))
        last_id = 0
        while True:
            # Keyset paging over the follow index: each batch is one short query
            # and one short insert, however many followers the stream has.
            batch = list(
                follows.filter(id__gt=last_id).order_by("id").values_list("id", "follower_id")[:batch_size]
            )
            if not batch:
                break
            TimelineEntry.objects.bulk_create(
                [TimelineEntry(owner_id=follower_id, activity_id=activity_id) for _id, follower_id in batch],
                ignore_conflicts=True,
            )
            written += len(batch)
            last_id = batch[-1][0]
            if len(batch) < batch_size:
                break
            if pause:
                time.sleep(pause)
    logger.info("activity fanned out id=%s rows=%d", activity_id, written)
    return written


def mark_notifications_read(*, recipient: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the recipient's notifications read: those in `ids`, or all when `ids` is None.

    Ids of other people's notifications are ignored, never touched.
    """
    notifications = Notification.objects.filter(recipient=recipient, read=False)
    if ids is not None:
        notifications = notifications.filter(pk__in=list(ids))
    return notifications.update(read=True)
