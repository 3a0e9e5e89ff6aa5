"""After-commit delivery of activities: the one place that publishes them.

Everything that reaches readers after a write goes through here: `deliver`
(websocket push, then the timeline fan-out) and `follows_changed_on_commit`
(open sockets re-read their home streams).
"""

import logging

from django.db import transaction

from feeds.models import Activity

logger = logging.getLogger(__name__)


def publish_on_commit(activity: Activity) -> None:
    """Deliver `activity` once its transaction commits; nothing goes out if it rolls back."""
    activity_id = activity.id
    # robust: a failed delivery is logged and never turns the writer's committed
    # action into an error.
    transaction.on_commit(lambda: deliver(activity_id), robust=True)


def deliver(activity_id: str) -> None:
    """Fan the activity out to its readers' timelines.

    With a broker (REDIS_URL) this only enqueues a task, so the writer never
    waits for the followers; on the embedded default the work runs here,
    in-process. If the broker cannot take the task, the fan-out runs here too
    rather than be lost. Open websockets are woken first, from here: a few
    channel-layer messages per activity (one per stream), whatever the
    number of followers.
    """
    from feeds import services, tasks
    from novosphere.celery import app

    logger.info("activity published id=%s", activity_id)
    push_live(activity_id)
    federate(activity_id)
    if app.conf.task_always_eager:
        services.fan_out_activity(activity_id=activity_id)
        return
    try:
        tasks.fan_out_activity.delay(activity_id)
    except Exception:  # the broker is down or refused: degrade, do not lose the activity
        logger.exception("fan-out not queued, running in-process id=%s", activity_id)
        services.fan_out_activity(activity_id=activity_id)


def federate(activity_id: str) -> None:
    """Queue the deliveries to remote followers; a failure here never fails the write."""
    from federation.publishing import activity_committed

    try:
        activity_committed(activity_id)
    except Exception:
        logger.exception("federation not queued id=%s", activity_id)


def push_live(activity_id: str) -> None:
    """Wake the websockets listening to the activity's streams; a layer outage costs
    only liveness (clients resume from the database), never the write."""
    from feeds.live import push_activity

    try:
        push_activity(activity_id)
    except Exception:
        logger.exception("live push failed id=%s; clients will catch up on resume", activity_id)


def follows_changed_on_commit(user_id: int) -> None:
    """After commit, tell the user's open sockets that their home streams changed."""
    transaction.on_commit(lambda: push_follows_changed(user_id), robust=True)


def push_follows_changed(user_id: int) -> None:
    """A layer outage costs only liveness: the follow is committed, and a socket
    opened afterwards reads the follow graph afresh."""
    from feeds.live import push_follows_changed as push

    try:
        push(user_id)
    except Exception:
        logger.exception("follows.changed push failed user=%s", user_id)
