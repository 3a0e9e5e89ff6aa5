"""Rate limits counted atomically: Redis INCR at scale, a locked counter in memory
on the embedded default (both through Django's cache)."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


def hit(scope: str, ident: str) -> float | None:
    """Count one hit; None if allowed, else the seconds until the window ends."""
    rate = settings.RATE_LIMITS.get(scope)
    if not rate:
        return None
    limit, period = SimpleRateThrottle.parse_rate(None, rate)
    now = time.time()
    window = int(now // period)
    key = f"rl:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)  # only the first hit of a window creates it
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this hit opens a new window
        cache.add(key, 1, timeout=period + 1)
        count = 1
    if count > limit:
        return (window + 1) * period - now
    return None


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
