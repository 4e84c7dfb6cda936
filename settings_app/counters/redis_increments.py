"""Counters in Redis in one round trip each, through the connection pool of Django's cache.

Django's `RedisCache.incr()` checks that the key exists, then increments: two round trips, and
the API's rate counter added a third (`add` first). On every API read those round trips cost
more CPU than the read itself, so the counters use the cache's Redis client directly:
`SET NX EX` and `INCR` pipelined, and an "increment if it exists" script. Django's serializer
stores integers as plain Redis integers, so `cache.get()` reads these counters as usual.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache

# Atomic on the server: a count is only raised in a window that exists (it is never created).
_INCREMENT_IF_PRESENT = (
    "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incr', KEYS[1]) end return false"
)


def increment_or_create(cache: RedisCache, key: str, timeout: int) -> int:
    """Add one to `key`, created at 0 living `timeout` seconds if missing; its new value."""
    name, client = _name_and_client(cache, key)
    pipeline = client.pipeline(transaction=False)
    pipeline.set(name, 0, ex=timeout, nx=True)
    pipeline.incr(name)
    return int(pipeline.execute()[1])


def increment_if_present(cache: RedisCache, key: str) -> bool:
    """Add one to `key` if it exists; False (and nothing created) if it does not."""
    name, client = _name_and_client(cache, key)
    return client.eval(_INCREMENT_IF_PRESENT, 1, name) is not None


def _name_and_client(cache: RedisCache, key: str) -> tuple[str, Any]:
    name = cache.make_and_validate_key(key)
    # `_cache` is Django's RedisCacheClient: its pool, its key prefix and version rules.
    return name, cache._cache.get_client(name, write=True)
