"""Celery tasks of search (run by `celery -A novosphere worker`, scheduled by beat)."""

from celery import shared_task

from search import sync


@shared_task
def index_pending() -> int:
    """Index the documents an unreachable index could not take; returns how many are still pending."""
    _indexed, remaining = sync.index_pending()
    return remaining
