"""Celery tasks of the outbox (run by `celery -A novosphere worker`, the sweep by beat)."""

from celery import shared_task
from django.db import DatabaseError

from novosphere import publisher

# acks_late + reject_on_worker_lost: the message is acknowledged only once the
# work is done, so a worker that dies mid-task leaves it to be delivered again;
# handlers are idempotent, so running one twice is harmless.
OUTBOX_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**OUTBOX_TASK)
def run_outbox_item(item_id: int) -> bool:
    """Do the work of one outbox row (kept for messages queued by an older version)."""
    return publisher.run_by_id(item_id)


@shared_task(**OUTBOX_TASK)
def run_outbox_items(item_ids: list[int]) -> bool:
    """Do the work of the outbox rows of one transaction, in the order they were written.
    A retry runs them all again: the rows already done are gone, and skipped."""
    done = [publisher.run_by_id(item_id) for item_id in item_ids]
    return all(done)


@shared_task
def sweep_outbox() -> int:
    """The sweep (Celery beat, CELERY_BEAT_SCHEDULE): run the rows whose work was lost or failed."""
    return publisher.sweep()
