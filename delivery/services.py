"""The delivery outbox: every write of deliveries and destinations.

How an activity gets out:

1. Its writer's transaction records it, and with it (through the one
   after-commit publisher) an outbox row of kind `delivery.fan_out`.
2. That work (`fan_out_deliveries`, in a Celery worker at scale) asks every
   destination kind which destinations want the activity and writes one
   `Delivery` per (activity, destination); repeating it adds nothing.
3. Each destination is drained (`drain_destination`): one drainer at a time
   (a lease on the row), its pending deliveries oldest first in stream order,
   each built by its kind at that moment (so visibility is decided at delivery
   time) and POSTed through `novosphere.outbound`. A failure keeps the
   delivery, due again after an exponential backoff with jitter, and stops
   the drain there, so nothing later overtakes it; a destination failing for
   DELIVERY_DISABLE_AFTER_DAYS is disabled.
4. Nothing is lost when Redis or a worker dies: the rows are in the database,
   a lease that is not renewed runs out, and the sweep (`sweep`, a beat task)
   hands destinations with due deliveries to a drainer again. A delivery cut
   off mid-way is sent again under the same message id (at least once).

Drains run in Celery (`delivery.tasks.drain_destination`) when there is a
broker, and in a few threads of the process (`delivery.runner`) on the
embedded default; never in the writer's request.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from ulid import ULID

from delivery import scheduling
from delivery.kinds import all_kinds, kind_named
from delivery.models import Delivery, Destination
from novosphere import outbound

logger = logging.getLogger(__name__)

FAN_OUT = "delivery.fan_out"  # the publisher's kind of work that writes an activity's deliveries
RESPONSE_LIMIT = 64 * 1024  # what a receiver may answer; nobody reads it


def destination_for(*, kind: str, key: str, url: str) -> Destination:
    """The destination `kind` knows as `key`, created the first time."""
    destination, _created = Destination.objects.get_or_create(kind=kind, key=key, defaults={"url": url})
    return destination


def fan_out_deliveries(*, activity_id: str) -> int:
    """Write one delivery per destination that wants the activity; returns how many were new.

    Idempotent (one delivery per activity and destination), so a redelivered
    or swept task adds nothing twice."""
    from feeds.models import Activity

    activity = Activity.objects.filter(pk=activity_id).select_related("actor").first()
    if activity is None:
        return 0
    wanted: set[int] = set()
    for kind in all_kinds():
        wanted.update(kind.destinations_for(activity))
    if not wanted:
        return 0
    created = Delivery.objects.bulk_create(
        [Delivery(destination_id=pk, activity_id=activity.pk, position=activity.pk) for pk in sorted(wanted)],
        ignore_conflicts=True,
    )
    scheduling.drain_soon(sorted(wanted))
    return len(created)


def enqueue_payload(*, destination: Destination, payload: dict) -> Delivery:
    """A delivery of something other than an activity (federation's Follow, Accept...),
    in the caller's transaction; it queues behind the destination's earlier deliveries."""
    delivery = Delivery.objects.create(destination=destination, payload=payload, position=str(ULID()))
    transaction.on_commit(lambda: scheduling.drain_soon([destination.pk]), robust=True)
    return delivery


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential from DELIVERY_RETRY_SECONDS,
    capped, with jitter so that receivers coming back are not hit all at once."""
    base = settings.DELIVERY_RETRY_SECONDS * 2 ** min(attempts - 1, 30)
    return min(settings.DELIVERY_RETRY_MAX_SECONDS, base) * random.uniform(0.5, 1.5)


def _fan_out_horizon() -> str | None:
    """The oldest activity whose deliveries may not all be written yet (its fan-out
    is still in the outbox), or None. Nothing at or after it goes out before it:
    activity ids are allocated in commit order, so every older activity's
    fan-out row is visible here until its deliveries exist."""
    from novosphere.models import OutboxItem

    oldest = (
        OutboxItem.objects.filter(kind=FAN_OUT)
        .annotate(activity=KeyTextTransform("activity", "payload"))
        .aggregate(oldest=Min("activity"))["oldest"]
    )
    return oldest or None


def _claim(destination_id: int) -> timezone.datetime | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = (
        Destination.objects.filter(pk=destination_id, state=Destination.State.ACTIVE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=lease)
    )
    return lease if claimed else None


def drain_destination(destination_id: int) -> int:
    """Send the destination's due deliveries in order until one fails; returns how many went out.

    Does nothing if another drainer holds the destination (its lease)."""
    lease = _claim(destination_id)
    if lease is None:
        return 0
    destination = Destination.objects.get(pk=destination_id)
    kind = kind_named(destination.kind)
    if kind is None:
        logger.error("delivery: no kind %s for destination %s; left as is", destination.kind, destination_id)
        Destination.objects.filter(pk=destination_id).update(lease_until=None)
        return 0
    sent, again_at = 0, None
    try:
        horizon = _fan_out_horizon()
        queue = Delivery.objects.filter(destination_id=destination_id, state=Delivery.State.PENDING)
        for _ in range(settings.DELIVERY_DRAIN_BATCH):
            delivery = queue.order_by("position", "id").first()
            if delivery is None:
                break
            now = timezone.now()
            if delivery.due > now:
                again_at = delivery.due
                break
            if horizon is not None and delivery.activity_id and delivery.position >= horizon:
                # An older activity's deliveries are still being written: wait for them.
                again_at = now + timedelta(seconds=1)
                break
            if not _attempt(kind, destination, delivery):
                destination.refresh_from_db()
                if destination.state == Destination.State.ACTIVE:
                    again_at = Delivery.objects.get(pk=delivery.pk).due
                break
            sent += 1
            lease = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
            Destination.objects.filter(pk=destination_id).update(lease_until=lease)
        else:
            again_at = timezone.now()  # a full batch: let other destinations have their turn, then go on
    finally:
        Destination.objects.filter(pk=destination_id).update(lease_until=None)
    if again_at is not None:
        scheduling.drain_at(destination_id, again_at)
    return sent


def _attempt(kind, destination: Destination, delivery: Delivery) -> bool:
    """Build and send one delivery; returns whether the drain may go on to the next."""
    try:
        outgoing = kind.build(delivery)
    except Exception as error:  # a bug in a kind must not wedge the queue silently
        logger.exception("delivery: building %s failed", delivery.message_id)
        _failed(destination, delivery, f"build: {type(error).__name__}")
        return False
    if outgoing is None:
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.SKIPPED, last_error="")
        logger.info("delivery: %s skipped (no longer visible to %s)", delivery.message_id, destination.pk)
        return True
    try:
        answer = outbound.post(
            outgoing.url or destination.url,
            body=outgoing.body,
            headers=outgoing.headers,
            timeout=kind.timeout(),
            max_bytes=RESPONSE_LIMIT,
            allow_private=kind.allow_private(),
        )
    except outbound.OutboundError as error:
        _failed(destination, delivery, f"{error.reason}: {error.message}")
        return False
    if not kind.accepted(answer.status):
        _failed(destination, delivery, f"HTTP {answer.status}")
        return False
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.DELIVERED, sent=now, attempts=delivery.attempts + 1, last_error=""
    )
    Destination.objects.filter(pk=destination.pk).update(failing_since=None, last_success=now, last_error="")
    logger.info("delivery: %s delivered to %s (attempt %d, HTTP %d)",
                delivery.message_id, destination.pk, delivery.attempts + 1, answer.status)
    return True


def _failed(destination: Destination, delivery: Delivery, error: str) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    delay = retry_delay(attempts)
    error = error[:500]
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, due=now + timedelta(seconds=delay), last_error=error
    )
    failing_since = destination.failing_since or now
    Destination.objects.filter(pk=destination.pk).update(failing_since=failing_since, last_error=error)
    logger.warning("delivery: %s to %s failed (attempt %d, again in %.1f s): %s",
                   delivery.message_id, destination.pk, attempts, delay, error)
    if now - failing_since >= timedelta(days=settings.DELIVERY_DISABLE_AFTER_DAYS):
        disable(destination_id=destination.pk, reason=error)


def disable(*, destination_id: int, reason: str) -> bool:
    """Stop delivering to a destination that keeps failing; what it was owed is given up."""
    with transaction.atomic():
        destination = Destination.objects.select_for_update().filter(pk=destination_id).first()
        if destination is None or destination.state == Destination.State.DISABLED:
            return False
        destination.state = Destination.State.DISABLED
        destination.disabled_at = timezone.now()
        destination.last_error = reason[:500]
        destination.save(update_fields=["state", "disabled_at", "last_error"])
        given_up = destination.deliveries.filter(state=Delivery.State.PENDING).update(state=Delivery.State.FAILED)
        kind = kind_named(destination.kind)
        if kind is not None:
            kind.on_disabled(destination)
    logger.warning("delivery: destination %s disabled after failing since %s; %d deliveries given up: %s",
                   destination_id, destination.failing_since, given_up, reason)
    return True


def release(destination_id: int) -> None:
    """Give the destination back (its drainer stopped on an error and could not)."""
    Destination.objects.filter(pk=destination_id).update(lease_until=None)


def drain_due() -> int:
    """Drain, one after the other, every destination with a delivery due; returns how many went out."""
    return sum(drain_destination(pk) for pk in due_destinations())


def due_destinations(*, older_than_seconds: float = 0, limit: int = 1000) -> list[int]:
    """Active destinations with a delivery due (for at least `older_than_seconds`) and no live drainer."""
    now = timezone.now()
    due = Delivery.objects.filter(
        state=Delivery.State.PENDING, due__lte=now - timedelta(seconds=older_than_seconds),
        destination__state=Destination.State.ACTIVE,
    ).filter(Q(destination__lease_until__isnull=True) | Q(destination__lease_until__lt=now))
    return list(due.order_by().values_list("destination_id", flat=True).distinct()[:limit])


def next_due() -> timezone.datetime | None:
    """When the next pending delivery falls due (None: nothing pending)."""
    return Delivery.objects.filter(
        state=Delivery.State.PENDING, destination__state=Destination.State.ACTIVE
    ).aggregate(next=Min("due"))["next"]


def sweep(*, older_than_seconds: float | None = None) -> int:
    """Hand every destination with deliveries overdue to a drainer again (their task was
    lost with the broker, or their worker died); returns how many."""
    grace = settings.DELIVERY_SWEEP_GRACE if older_than_seconds is None else older_than_seconds
    destinations = due_destinations(older_than_seconds=grace)
    if destinations:
        logger.warning("delivery: sweep hands %d destinations with overdue deliveries to a drainer", len(destinations))
        scheduling.drain_soon(destinations)
    return len(destinations)
