"""Rate limits counted atomically: Redis INCR at scale, a locked counter in memory
on the embedded default (both through Django's cache).

Every limit that counts per address counts `novosphere.proxies.client_address`
(the TCP peer unless a trusted proxy says otherwise), never a header the client
wrote. Rates read "N/<period>" where the period is `second`, `minute`, `hour`,
`day`, optionally with a multiple: "25/5minute" is 25 per 5 minutes.

When the cache (Redis) does not answer, limits fail open: the hit is allowed and
one line is logged. Refusing every request, or answering 500, because a counter
store is down would turn a Redis outage into a full outage.
"""

import hashlib
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from novosphere.errors import RateLimited
from novosphere.proxies import client_address
from novosphere.unavailable import REDIS_DOWN

logger = logging.getLogger(__name__)

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|m|h|d)[a-z]*\s*$")
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """("25/5minute") -> (25, 300): hits allowed per window, window in seconds."""
    match = RATE.match(rate)
    if not match:
        raise ValueError(f"not a rate: {rate!r}")
    limit, multiple, unit = match.groups()
    return int(limit), int(multiple or 1) * PERIODS[unit]


def _window(scope: str, ident: str) -> tuple[int, int, str, float] | None:
    rate = settings.RATE_LIMITS.get(scope)
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    return limit, period, f"rl:{scope}:{ident}:{window}", (window + 1) * period - now


def hit(scope: str, ident: str) -> float | None:
    """Count one hit; None if allowed, else the seconds until the window ends."""
    window = _window(scope, ident)
    if window is None:
        return None
    limit, period, key, left = window
    try:
        count = _count(key, timeout=period + 1)
    except REDIS_DOWN as error:
        logger.warning("rate limit not enforced scope=%s (cache unavailable: %s)", scope, error)
        return None
    return left if count > limit else None


def spent(scope: str, ident: str) -> float | None:
    """Whether the window is already used up (without counting a hit): the seconds left, or None."""
    window = _window(scope, ident)
    if window is None:
        return None
    limit, _period, key, left = window
    try:
        count = cache.get(key) or 0
    except REDIS_DOWN as error:
        logger.warning("rate limit not enforced scope=%s (cache unavailable: %s)", scope, error)
        return None
    return left if count >= limit else None


def _count(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)  # only the first hit of a window creates it
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this hit opens a new window
        cache.add(key, 1, timeout=timeout)
        return 1


def address_of(request) -> str:
    """The client's address (Django or DRF request), as the limits count it."""
    request = getattr(request, "_request", request)
    return getattr(request, "client_address", None) or client_address(request.META)


def _account_key(username: str) -> str:
    # Case-folded, as logins are, and hashed: a counter key never holds what people typed.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


# --- Logins: failures count, by account and by address -------------------------
#
# Only failed attempts are counted, so a room full of people behind one address
# who type their passwords right is never refused; once either window is spent,
# every attempt is refused until it ends, even with the right password (else a
# guesser would learn it from the one answer that differs).


def login_refused(request, username: str) -> float | None:
    """Seconds until logging in to `username` from this address is allowed again, or None."""
    waits = [
        spent("login_account", _account_key(username)),
        spent("login_address", address_of(request)),
    ]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def count_login_failure(request, username: str) -> None:
    hit("login_account", _account_key(username))
    hit("login_address", address_of(request))
    logger.info("login failed address=%s", address_of(request))


def refuse_login_if_limited(request, username: str) -> None:
    """A 429 with Retry-After when too many logins to this account or from this address failed."""
    wait = login_refused(request, username)
    if wait is not None:
        raise RateLimited(wait=wait, message=_("Too many failed logins; try again later."))


class ScopedAtomicThrottle(BaseThrottle):
    """DRF throttle for a view's `throttle_scope`: per user when signed in, else per address."""

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        user = request.user
        ident = f"user{user.pk}" if user and user.is_authenticated else f"ip{address_of(request)}"
        self.retry_after = hit(self.scope, ident)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def enforce(scope: str, ident: str) -> None:
    """Count one hit of `ident` (an address, an account) in `scope`; a 429 past the limit."""
    wait = hit(scope, ident)
    if wait is not None:
        raise RateLimited(wait=wait)
