"""After-commit delivery of activities: the one place that publishes them."""

import logging

from django.db import transaction

from feeds.models import Activity

logger = logging.getLogger(__name__)


def publish_on_commit(activity: Activity) -> None:
    """Deliver `activity` once its transaction commits; nothing goes out if it rolls back."""
    transaction.on_commit(lambda: deliver(activity.id))


def deliver(activity_id: str) -> None:
    """Fan the activity out to its readers. Stream reads already see it through StreamEntry."""
    from feeds.live import push_activity

    push_activity(activity_id)
    logger.info("activity published id=%s", activity_id)
