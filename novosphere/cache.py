"""The shared cache on Redis, failing open: an outage costs hints, never requests.

What the cache holds here (rate-limit counters, planner hints such as tag
frequencies) can always be done without: a read answers a miss and a write is
dropped, with one log line, instead of a 500. `incr` still raises, since a
counter cannot be made up; its caller (rate limiting) decides what to do.

Every instance of the cache in a process shares one Redis client (and so one
connection pool). Django makes a cache instance per thread and per async
context, so a websocket's rate-limit check, run from its own context, would
otherwise open a pool, and a connection, of its own: 10,000 open sockets were
10,000 Redis connections, past Redis' default `maxclients`.
"""

import logging
import threading
from functools import cached_property

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from novosphere.unavailable import REDIS_DOWN

logger = logging.getLogger(__name__)


def _warn(operation: str, error: Exception) -> None:
    logger.warning("cache unavailable op=%s error=%s", operation, error)


_clients: dict = {}
_clients_lock = threading.Lock()


class FailOpenRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        # redis-py's pools are thread-safe: one per process and configuration.
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except REDIS_DOWN as error:
            _warn("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except REDIS_DOWN as error:
            _warn("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except REDIS_DOWN as error:
            _warn("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except REDIS_DOWN as error:
            _warn("add", error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except REDIS_DOWN as error:
            _warn("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except REDIS_DOWN as error:
            _warn("set_many", error)
            return list(data)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except REDIS_DOWN as error:
            _warn("delete", error)
            return False
