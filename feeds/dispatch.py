"""After-commit work of the activity stream (kinds of work of `novosphere.publisher`).

An activity leaves in two pieces once its transaction commits: `feeds.push`
wakes the open websockets of its streams and of the people it notifies (in
the writer's process: a few channel-layer messages per activity, whatever
the number of followers), then `feeds.fan_out` copies it into the home
timelines of its streams' followers (in a Celery worker at scale, so the
writer never waits for its followers).
"""

from novosphere.dispatch import FOLLOWS_CHANGED, tell_user_sockets_on_commit
from novosphere.publisher import WORKER, handles, publish_all_on_commit


def deliver_on_commit(activity_id: str) -> None:
    """Push and fan out the activity once its transaction commits; nothing goes out if it rolls back."""
    publish_all_on_commit([
        ("feeds.push", {"activity": activity_id}),
        ("feeds.fan_out", {"activity": activity_id}),
        # Webhooks (and federation): one delivery per destination that wants it (delivery/dispatch.py).
        ("delivery.fan_out", {"activity": activity_id}),
    ])


def follows_changed_on_commit(user_id: int) -> None:
    """After commit, tell the user's open sockets that their home streams changed."""
    tell_user_sockets_on_commit(user_id, FOLLOWS_CHANGED)


# No retry: a layer outage costs only liveness. Sockets resume from the
# database, and each process's sweep (feeds/sweep.py) makes up lost wake-ups.
@handles("feeds.push", retry=False)
def push(payload: dict) -> None:
    from feeds.live import push_activity

    push_activity(payload["activity"])


@handles("feeds.fan_out", where=WORKER)
def fan_out(payload: dict) -> None:
    from feeds.services import fan_out_activity

    fan_out_activity(activity_id=payload["activity"])
