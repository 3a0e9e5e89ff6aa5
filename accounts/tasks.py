"""Background work of accounts: e-mail delivery (retried) and pruning dead tokens."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(SMTPException, OSError), retry_backoff=5, retry_backoff_max=600, max_retries=10,
    retry_jitter=True,
)
def deliver_email(message: dict) -> None:
    """Send one rendered e-mail; a server that refuses or does not answer is tried again later."""
    email = EmailMultiAlternatives(
        subject=message["subject"], body=message["text"], from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message["to"]],
    )
    email.attach_alternative(message["html"], "text/html")
    email.send()
    logger.info("e-mail sent subject=%r", message["subject"])


@shared_task
def prune_tokens() -> int:
    from accounts.services import prune_expired_tokens

    return prune_expired_tokens()
