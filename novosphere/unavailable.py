"""Which errors mean "a backing service is down", shared by every layer that maps them.

The REST exception handler and middleware answer 503, the websocket guard
closes with 4503, the cache and rate limits fail open: all decide with these.
"""

import logging

import redis.exceptions
from django.db import InterfaceError, OperationalError

logger = logging.getLogger("novosphere.unavailable")

# Django wraps every driver's connection failures (and psycopg_pool's
# PoolTimeout, an OperationalError) as OperationalError / InterfaceError.
DATABASE_DOWN = (OperationalError, InterfaceError)
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def unavailable_cause(exc: BaseException) -> str | None:
    """"database" or "redis" when `exc` means that service is unavailable, else None."""
    if isinstance(exc, DATABASE_DOWN):
        return "database"
    if isinstance(exc, REDIS_DOWN):
        return "redis"
    return None


def log_unavailable(cause: str, exc: BaseException, where: str) -> None:
    """One line, no traceback: the outage is the news, not our stack."""
    message = " ".join(str(exc).split())[:300]
    logger.warning("unavailable service=%s at=%s error=%s", cause, where, message)
