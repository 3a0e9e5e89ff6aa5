"""After-commit work of federation (kinds of work of `novosphere.publisher`).

| kind | where | payload | what it does |
|---|---|---|---|
| `federation.publish` | worker | `{activity}` | turns a committed local activity into one delivery per remote inbox of its streams' followers |
| `federation.deliver` | worker, retried with backoff | `{inbox, document, signer}` | POSTs one signed activity to one remote inbox |
| `federation.inbox` | worker, retried | `{item}` | acts on one activity an inbox took |
"""

import logging

from novosphere.publisher import WORKER, handles

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The remote inbox did not take the activity now; the outbox tries again later."""


@handles("federation.publish", where=WORKER)
def publish(payload: dict) -> None:
    from federation.publishing import activity_committed

    activity_committed(payload["activity"])


@handles("federation.deliver", where=WORKER)
def deliver(payload: dict) -> None:
    from federation import transport
    from novosphere.outbound import OutboundError

    inbox = payload["inbox"]
    try:
        status = transport.post_signed(inbox=inbox, document=payload["document"], signer=payload["signer"])
    except OutboundError as error:
        raise DeliveryFailed(f"{inbox}: {error.reason}") from None
    if status >= 500 or status == 429:
        raise DeliveryFailed(f"{inbox}: status {status}")
    if status >= 300:
        # Refused for good (a block, a bad request): trying again would change nothing.
        logger.warning("federation delivery refused inbox=%s status=%s", inbox, status)


@handles("federation.inbox", where=WORKER)
def process_inbox(payload: dict) -> None:
    from federation import inbox

    inbox.process(item_id=payload["item"])
