"""Celery tasks of federation: inbox processing and deliveries."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_inbox_item(item_id: int) -> None:
    """Act on one activity an inbox took (idempotent: a processed item is skipped)."""
    from federation import inbox

    inbox.process(item_id=item_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver(inbox: str, document: dict, signer: str) -> None:
    """POST one signed activity to one remote inbox."""
    from federation import transport
    from novosphere.outbound import OutboundError

    try:
        status = transport.post_signed(inbox=inbox, document=document, signer=signer)
    except OutboundError as error:
        logger.warning("federation delivery failed inbox=%s reason=%s", inbox, error.reason)
        return
    if status >= 300:
        logger.warning("federation delivery refused inbox=%s status=%s", inbox, status)


@shared_task
def process_pending_inbox() -> int:
    """The sweep: process inbox items whose task was lost with the broker."""
    from federation import inbox

    return inbox.process_pending()
