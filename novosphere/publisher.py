"""The one way out after a commit: every piece of work a write sets off is a row a worker drains.

Waking the live sockets, copying an activity into its followers' timelines,
reindexing search documents, telling a user's sockets to check their
credentials again (and, as they come, e-mails, webhooks and federation
deliveries) all leave through one function:

    from novosphere.publisher import WORKER, handles, publish_on_commit

    @handles("feeds.fan_out", where=WORKER)         # in the app's dispatch.py
    def fan_out(payload: dict) -> None:
        services.fan_out_activity(activity_id=payload["activity"])

    publish_on_commit("feeds.fan_out", {"activity": activity.id})   # in a service

`publish_on_commit(kind, payload)` writes an `OutboxItem` row in the caller's
transaction, so the work exists exactly when the change does (a rollback
takes it away, a crash after the commit leaves it for the sweep), and once
the transaction commits it runs the work:

- `where=INLINE` (cheap, and readers are waiting for it: live pushes, socket
  re-checks, search): right there, in the committing process;
- `where=WORKER` (long: the fan-out, anything that talks to the outside): in
  a Celery worker (`novosphere.tasks.run_outbox_items`, one task for a transaction's rows), or in-process on the
  embedded default (no broker) and whenever the broker refuses the task.

A handler that returns has done its work: the row is deleted. One that
raises keeps its row, due again after a backoff (`retry=True`, the default),
or, with `retry=False`, has it dropped with one log line: for work that
another path makes up for (a lost live wake-up: sockets resume from the
database and the per-process sweep of `feeds/sweep.py` catches them up).

The sweep (`sweep`: the beat task `novosphere.tasks.sweep_outbox` every
OUTBOX_SWEEP_SECONDS, or `manage.py drain_outbox`) runs the rows older than
OUTBOX_SWEEP_GRACE whose due time has passed: work whose task was lost with
the broker (a Redis restarted empty), whose process died between commit and
run, or whose handler failed. It claims each row with a lease (its `due`
moved OUTBOX_LEASE_SECONDS ahead), so two sweepers do not run it at once and
one that dies leaves it due again. A kind that fails during a sweep is left
alone for the rest of that pass: its service is most likely down.

Delivery is at least once: a task redelivered after its worker died, or a
sweep meeting a task still queued, runs a row twice, so every handler is
idempotent. The payload is stored as JSON, so one that does not serialize
fails where it is published, inside the writer's transaction.

Kinds of work, each registered in its app's `dispatch.py` (discovered at start-up):

| kind | where | payload | what it does |
|---|---|---|---|
| `feeds.push` | inline, no retry | `{activity}` | wakes the sockets of the activity's streams and its notified people |
| `feeds.fan_out` | worker | `{activity}` | copies the activity into its streams' followers' home timelines |
| `sockets.user` | inline, no retry | `{user, event}` | tells a user's open sockets to `auth.check`, or that their `follows.changed` / `blocks.changed` |
| `search.index` | inline | `{keys}` | rebuilds (or removes) those search documents from the database |
| `delivery.fan_out` | worker | `{activity}` | writes one delivery per webhook (later: remote inbox) that wants the activity (`delivery/`) |
| `accounts.email` | worker | `{to, subject, text, html}` | sends one e-mail, rendered in its reader's language (`accounts/mail.py`) |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from novosphere.models import OutboxItem

logger = logging.getLogger(__name__)

INLINE = "inline"
WORKER = "worker"


@dataclass(frozen=True)
class Handler:
    kind: str
    function: Callable[[dict], None]
    where: str
    retry: bool


_handlers: dict[str, Handler] = {}


def handles(kind: str, *, where: str = INLINE, retry: bool = True):
    """Register the function that does one kind of work (a decorator)."""
    if where not in (INLINE, WORKER):
        raise ValueError(f"where must be {INLINE!r} or {WORKER!r}")

    def register(function: Callable[[dict], None]) -> Callable[[dict], None]:
        _handlers[kind] = Handler(kind=kind, function=function, where=where, retry=retry)
        return function

    return register


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def kinds() -> list[str]:
    return sorted(_handlers)


def publish_on_commit(kind: str, payload: dict) -> OutboxItem:
    """Do `kind` of work with `payload` once the current transaction commits (at once outside one).

    The row is written now, in the caller's transaction: nothing goes out if it
    rolls back, and nothing is lost if the process dies after the commit."""
    return publish_all_on_commit([(kind, payload)])[0]


def publish_all_on_commit(work: list[tuple[str, dict]]) -> list[OutboxItem]:
    """`publish_on_commit` for several pieces of work at once: their rows in one INSERT,
    run after commit in the order given."""
    for kind, _payload in work:
        if kind not in _handlers:
            raise LookupError(f"no handler for {kind!r}: register one with @handles in its app's dispatch.py")
    # Round-tripped here: a payload that is not JSON fails in the writer's code,
    # and the handler gets the same value at commit as from a sweep.
    rows = [OutboxItem(kind=kind, payload=json.loads(json.dumps(payload))) for kind, payload in work]
    items = OutboxItem.objects.bulk_create(rows)  # their ids come back (RETURNING): the handlers are given them
    for item in items:
        if _handlers[item.kind].where == WORKER and not _runs_in_process():
            _worker_batch().items.append(item)
        else:
            # robust: the writer's change is committed whatever happens next; a failure
            # is logged and the row stays for the sweep.
            transaction.on_commit(lambda item=item: run(item), robust=True)
    return items


class _WorkerBatch:
    """The worker's rows of one transaction, queued as one task after its commit: an
    activity's fan-out and its deliveries cost one broker message and one task, not two.

    A row published in a savepoint that rolled back is gone with it; its id still
    travels, and `run_by_id` finds nothing to do."""

    def __init__(self) -> None:
        self.items: list[OutboxItem] = []

    def send(self) -> None:
        from novosphere.tasks import run_outbox_items

        ids = [item.pk for item in self.items]
        try:
            run_outbox_items.delay(ids)
        except Exception:  # the broker is down or refused: do the work here rather than wait for the sweep
            logger.warning("outbox: %s not queued, running in-process",
                           ", ".join(f"{item.kind} #{item.pk}" for item in self.items), exc_info=True)
            for pk in ids:
                run_by_id(pk)


def _worker_batch() -> _WorkerBatch:
    """The batch of the current transaction, started (and its sending registered) by its first row."""
    connection = transaction.get_connection()
    batch = getattr(connection, "_outbox_worker_batch", None)
    # A batch whose sending is no longer registered belongs to a transaction (or savepoint) that ended.
    if batch is None or not connection.in_atomic_block or not any(
        callback == batch.send for _sids, callback, _robust in connection.run_on_commit
    ):
        batch = connection._outbox_worker_batch = _WorkerBatch()
        transaction.on_commit(batch.send, robust=True)
    return batch


def _runs_in_process() -> bool:
    from novosphere.celery import app

    return bool(app.conf.task_always_eager)


def run(item: OutboxItem) -> bool:
    """Do one row's work; returns whether it is done (its row deleted, or dropped)."""
    handler = _handlers.get(item.kind)
    if handler is None:  # a kind this process does not know (an older version): leave it to one that does
        logger.error("outbox: no handler for %s #%s; kept", item.kind, item.pk)
        _failed(item, "no handler", retry=True)
        return False
    try:
        handler.function(item.payload)
    except Exception as error:
        _failed(item, f"{type(error).__name__}: {error}", retry=handler.retry)
        return not handler.retry
    _delete(item)
    return True


def _delete(item: OutboxItem) -> None:
    """One DELETE in autocommit: a row has nothing depending on it, and Django's collector
    would read it back first and wrap it in a transaction (a project-wide post_delete
    receiver, `feeds.signals`, keeps the fast delete off for every model)."""
    OutboxItem.objects.filter(pk=item.pk)._raw_delete(OutboxItem.objects.db)


def _failed(item: OutboxItem, error: str, *, retry: bool) -> None:
    if not retry:
        logger.warning("outbox: %s #%s failed, dropped (made up for elsewhere): %s", item.kind, item.pk, error)
        _delete(item)
        return
    attempts = item.attempts + 1
    delay = min(settings.OUTBOX_RETRY_MAX_SECONDS, settings.OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1))
    logger.error("outbox: %s #%s failed (attempt %d), retried in %ds: %s", item.kind, item.pk, attempts, delay, error)
    OutboxItem.objects.filter(pk=item.pk).update(
        attempts=attempts, due=timezone.now() + timedelta(seconds=delay), last_error=error[:2000]
    )


def run_by_id(item_id: int) -> bool:
    """A worker's entry point: claim the row for a lease, then do its work. A row
    already gone was done by someone else (the sweep)."""
    lease = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    if not OutboxItem.objects.filter(pk=item_id).update(due=lease):
        return True
    item = OutboxItem.objects.filter(pk=item_id).first()
    return item is None or run(item)


def sweep(*, older_than_seconds: float | None = None, limit: int | None = None, kinds: list[str] | None = None) -> int:
    """Run the rows whose work was lost or failed (older than the grace, due now); returns how many were done."""
    grace = settings.OUTBOX_SWEEP_GRACE if older_than_seconds is None else older_than_seconds
    now = timezone.now()
    rows = OutboxItem.objects.filter(created__lte=now - timedelta(seconds=grace), due__lte=now)
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    candidates = list(rows.order_by("due", "id").values_list("pk", "due")[: limit or settings.OUTBOX_SWEEP_BATCH])
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    done, failing = 0, set()
    for pk, due in candidates:
        # Claimed only if nobody moved its due time since we read it.
        if not OutboxItem.objects.filter(pk=pk, due=due).update(due=lease):
            continue
        item = OutboxItem.objects.filter(pk=pk).first()
        if item is None:
            continue
        if item.kind in failing:
            OutboxItem.objects.filter(pk=pk).update(due=due)  # give it back untouched for the next pass
            continue
        if run(item):
            done += 1
        else:
            failing.add(item.kind)
    if candidates:
        logger.warning("outbox: sweep ran %d of %d rows left behind (failing kinds: %s)",
                       done, len(candidates), ", ".join(sorted(failing)) or "none")
    return done


def pending(kinds: list[str] | None = None) -> int:
    """Rows not done yet (queued, running or waiting for a retry)."""
    rows = OutboxItem.objects.all()
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    return rows.count()
