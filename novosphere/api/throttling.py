"""Rate limits counted atomically: Redis INCR at scale, a locked counter in memory
on the embedded default (both through Django's cache).

When the cache (Redis) does not answer, limits fail open: the hit is allowed and
one line is logged. Refusing every request, or answering 500, because a counter
store is down would turn a Redis outage into a full outage.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from novosphere.unavailable import REDIS_DOWN

logger = logging.getLogger(__name__)


def hit(scope: str, ident: str) -> float | None:
    """Count one hit; None if allowed, else the seconds until the window ends."""
    rate = settings.RATE_LIMITS.get(scope)
    if not rate:
        return None
    limit, period = SimpleRateThrottle.parse_rate(None, rate)
    now = time.time()
    window = int(now // period)
    key = f"rl:{scope}:{ident}:{window}"
    try:
        count = _count(key, timeout=period + 1)
    except REDIS_DOWN as error:
        logger.warning("rate limit not enforced scope=%s (cache unavailable: %s)", scope, error)
        return None
    if count > limit:
        return (window + 1) * period - now
    return None


def _count(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)  # only the first hit of a window creates it
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this hit opens a new window
        cache.add(key, 1, timeout=timeout)
        return 1


class ScopedAtomicThrottle(SimpleRateThrottle):
    """DRF throttle for a view's `throttle_scope`: per user when signed in, else per address."""

    def __init__(self):
        pass  # rates come from settings.RATE_LIMITS at each request, so tests can change them

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        user = request.user
        ident = f"user{user.pk}" if user and user.is_authenticated else f"ip{self.get_ident(request)}"
        self.retry_after = hit(self.scope, ident)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def enforce(scope: str, ident: str) -> None:
    """Count one hit of `ident` (an address, an account) in `scope`; a 429 past the limit."""
    from rest_framework.exceptions import Throttled

    wait = hit(scope, ident)
    if wait is not None:
        raise Throttled(wait=wait)
