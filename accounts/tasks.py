"""Periodic work of accounts (Celery beat): pruning dead tokens."""

from celery import shared_task


@shared_task
def prune_tokens() -> int:
    from accounts.services import prune_expired_tokens

    return prune_expired_tokens()
