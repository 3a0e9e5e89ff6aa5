"""Celery tasks of the activity stream (run by `celery -A novosphere worker`)."""

from celery import shared_task
from django.db import DatabaseError

from feeds import services


# acks_late + reject_on_worker_lost: the message is acknowledged only once the
# work is done, so a worker that dies mid-task leaves it to be delivered again;
# the fan-out is idempotent, so running it twice is harmless.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def fan_out_activity(activity_id: str) -> int:
    """Copy one activity into its followers' home timelines."""
    return services.fan_out_activity(activity_id=activity_id)


@shared_task
def fan_out_pending() -> int:
    """The sweep (Celery beat, CELERY_BEAT_SCHEDULE): redo fan-outs that never finished."""
    from django.conf import settings

    return services.fan_out_pending(older_than_seconds=settings.FEEDS_FANOUT_SWEEP_GRACE)
