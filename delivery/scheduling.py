"""Who drains a destination, and when: a Celery task with a broker, threads of the process without.

A task that cannot be queued (the broker is down) is only logged: the
deliveries are rows in the database, and the sweep hands them out again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)


def _in_process() -> bool:
    from novosphere.celery import app

    return bool(app.conf.task_always_eager)


def _threads() -> bool:
    """Whether this process drains in threads of its own (DELIVERY_IN_PROCESS_THREADS=0:
    no, `manage.py drain_deliveries` does)."""
    from django.conf import settings

    return settings.DELIVERY_IN_PROCESS_THREADS > 0


def drain_soon(destination_ids: Iterable[int]) -> None:
    ids = list(destination_ids)
    if not ids:
        return
    if _in_process():
        if _threads():
            from delivery.runner import runner

            runner.wake()
        return
    from delivery.tasks import drain_destination

    for pk in ids:
        try:
            drain_destination.delay(pk)
        except Exception:
            logger.warning("delivery: drain of destination %s not queued; the sweep will hand it out", pk,
                           exc_info=True)


def drain_at(destination_id: int, at: datetime) -> None:
    if _in_process():
        if _threads():
            from delivery.runner import runner

            runner.wake(destination_id, at)
        return
    from delivery.tasks import drain_destination

    countdown = max(0.0, (at - timezone.now()).total_seconds())
    try:
        drain_destination.apply_async((destination_id,), countdown=countdown)
    except Exception:
        logger.warning("delivery: retry of destination %s not queued; the sweep will hand it out",
                       destination_id, exc_info=True)
