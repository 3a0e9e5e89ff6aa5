"""The delivery outbox's kind of after-commit work (`novosphere.publisher`).

`delivery.fan_out` is published with every activity (`feeds.dispatch`), in
its writer's transaction: its row is also what tells drains that an older
activity's deliveries may not all exist yet (`services._fan_out_horizon`).
"""

from delivery.services import FAN_OUT
from novosphere.publisher import WORKER, handles


@handles(FAN_OUT, where=WORKER)
def fan_out(payload: dict) -> None:
    from delivery.services import fan_out_deliveries

    fan_out_deliveries(activity_id=payload["activity"])
