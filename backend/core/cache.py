"""The cache: Redis, holding only rate-limit counters (DRF's throttles, allauth's limits).

When Redis is unreachable or frozen, rate limiting fails open: reads miss, writes are dropped,
and the request goes through (logged), rather than every request waiting on Redis or failing.
After a failure the cache skips Redis for a few seconds, so a frozen server costs one timeout
(REDIS_TIMEOUT) per process and pause, not one per call. A feature that needs its cached values
to be there must use a cache alias of its own.
"""

import logging
import time
from functools import wraps

import redis.exceptions
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# How long to leave Redis alone after a failure.
SKIP_AFTER_FAILURE_SECONDS = 5.0


def _fail_open(answer_when_down):
    """`answer_when_down` is a value, or a function of the call's arguments (get's default)."""

    def decorate(method):
        @wraps(method)
        def call(self, *args, **kwargs):
            if time.monotonic() < self._skip_until:
                return _answer(answer_when_down, args, kwargs)
            try:
                return method(self, *args, **kwargs)
            except REDIS_ERRORS as exc:
                # On the class: every thread of the process leaves Redis alone.
                type(self)._skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
                logger.warning("cache unavailable, rate limits not applied: %s", exc)
                return _answer(answer_when_down, args, kwargs)

        return call

    return decorate


def _answer(answer_when_down, args, kwargs):
    return answer_when_down(*args, **kwargs) if callable(answer_when_down) else answer_when_down


def _default(key, default=None, version=None):
    return default


class _OneClientPerPool(RedisCacheClient):
    """Django's client builds a redis.Redis, with its response callbacks, for every cache call
    (two for each throttled request); one per connection pool serves them all, and every
    thread (redis-py's clients are thread-safe)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    _skip_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool

    # add() answers True: allauth takes it as its lock acquired and goes on.
    add = _fail_open(True)(RedisCache.add)
    get = _fail_open(_default)(RedisCache.get)
    set = _fail_open(None)(RedisCache.set)
    touch = _fail_open(False)(RedisCache.touch)
    delete = _fail_open(False)(RedisCache.delete)
    get_many = _fail_open({})(RedisCache.get_many)
    set_many = _fail_open([])(RedisCache.set_many)
    delete_many = _fail_open(None)(RedisCache.delete_many)
    has_key = _fail_open(False)(RedisCache.has_key)
