"""The shared cache on Redis, failing open: an outage costs hints, never requests.

What the cache holds here (rate-limit counters, planner hints such as tag
frequencies) can always be done without: a read answers a miss and a write is
dropped, with one log line, instead of a 500. `incr` still raises, since a
counter cannot be made up; its caller (rate limiting) decides what to do.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from novosphere.unavailable import REDIS_DOWN

logger = logging.getLogger(__name__)


def _warn(operation: str, error: Exception) -> None:
    logger.warning("cache unavailable op=%s error=%s", operation, error)


class FailOpenRedisCache(RedisCache):
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
