"""Celery tasks of the delivery outbox (run by `celery -A novosphere worker`)."""

from celery import shared_task

from delivery import services


# acks_late + reject_on_worker_lost: a worker that dies mid-drain leaves the task
# to run again; a drain is safe to repeat (the lease keeps two apart, and a
# delivery is marked sent only after its receiver took it).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def drain_destination(destination_id: int) -> int:
    return services.drain_destination(destination_id)


@shared_task(ignore_result=True)
def sweep() -> int:
    """Celery beat (CELERY_BEAT_SCHEDULE): hand overdue deliveries to a drainer again."""
    return services.sweep()
