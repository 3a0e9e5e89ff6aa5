"""After-commit work of federation (a kind of work of `novosphere.publisher`).

| kind | where | payload | what it does |
|---|---|---|---|
| `federation.inbox` | worker, retried | `{item}` | acts on one activity an inbox took |

Deliveries do not go through here but through the delivery outbox
(`federation/destinations.py`).
"""

from novosphere.publisher import WORKER, handles


@handles("federation.inbox", where=WORKER)
def process_inbox(payload: dict) -> None:
    from federation import inbox

    inbox.process(item_id=payload["item"])
