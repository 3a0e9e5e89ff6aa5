"""After-commit work of accounts: e-mail, one outbox row per message (see novosphere/publisher.py)."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from novosphere.publisher import WORKER, handles

logger = logging.getLogger(__name__)

EMAIL = "accounts.email"


@handles(EMAIL, where=WORKER)
def deliver_email(message: dict) -> None:
    """Send one rendered e-mail. A mail server that refuses or does not answer raises:
    the row stays and is tried again with backoff."""
    email = EmailMultiAlternatives(
        subject=message["subject"], body=message["text"], from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message["to"]],
    )
    email.attach_alternative(message["html"], "text/html")
    email.send()
    logger.info("e-mail sent subject=%r", message["subject"])
