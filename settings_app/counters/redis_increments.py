"""Counters in Redis in one round trip each, through the connection pool of Django's cache.

Django's `RedisCache.incr()` checks that the key exists, then increments: two round trips, and
the API's rate counter added a third (`add` first). On every API read those round trips cost
more CPU than the read itself, so the counters use the cache's Redis client directly: Lua
scripts, run by their SHA (EVALSHA; the script text is sent only when the server has not seen
it). An API read counts its rate and the repeats of the audit windows it reads in with one of
them (`increment_within_limit`). Django's serializer stores integers as plain Redis integers,
so `cache.get()` reads these counters as usual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError


@dataclass(frozen=True)
class _Script:
    text: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha1(self.text.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "sha", digest)  # Redis names a script by its SHA-1


# Start the window's count at 0 living ARGV[1] seconds if it is new, then add one.
_INCREMENT_OR_CREATE = _Script(
    "redis.call('set', KEYS[1], 0, 'EX', ARGV[1], 'NX') return redis.call('incr', KEYS[1])"
)
# A count is only raised in a window that exists (it is never created): 0 when it does not.
_INCREMENT_IF_PRESENT = _Script(
    "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incr', KEYS[1]) end return 0"
)
# KEYS[1] as _INCREMENT_OR_CREATE; then, if its count is at most ARGV[2], every other key as
# _INCREMENT_IF_PRESENT. Returns the first count, then each other key's (0: absent), or only
# the first count when it is over the limit (nothing else is counted).
_INCREMENT_WITHIN_LIMIT = _Script("""
redis.call('set', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local counts = {redis.call('incr', KEYS[1])}
if counts[1] <= tonumber(ARGV[2]) then
  for i = 2, #KEYS do
    counts[i] = redis.call('exists', KEYS[i]) == 1 and redis.call('incr', KEYS[i]) or 0
  end
end
return counts
""")


def increment_or_create(cache: RedisCache, key: str, timeout: int) -> int:
    """Add one to `key`, created at 0 living `timeout` seconds if missing; its new value."""
    return int(_run(cache, _INCREMENT_OR_CREATE, [key], [timeout]))


def increment_if_present(cache: RedisCache, key: str) -> bool:
    """Add one to `key` if it exists; False (and nothing created) if it does not."""
    return int(_run(cache, _INCREMENT_IF_PRESENT, [key], [])) > 0


def increment_within_limit(
    cache: RedisCache, key: str, timeout: int, limit: int, present: Sequence[str]
) -> tuple[int, list[bool]]:
    """`increment_or_create(key)`; if its count is at most `limit`, `increment_if_present` on
    each of `present` as well, in the same round trip. The count, and which of `present` were
    counted (none when over the limit)."""
    counts = _run(cache, _INCREMENT_WITHIN_LIMIT, [key, *present], [timeout, limit])
    return int(counts[0]), [int(count) > 0 for count in counts[1:]]


def take(cache: RedisCache, key: str) -> int:
    """Remove `key` and return its count (0 if absent), atomically: GETDEL, so no increment
    can land between reading the count and deleting it."""
    name = cache.make_and_validate_key(key)
    counted = _client(cache, name).getdel(name)
    return int(counted or 0)


def _run(cache: RedisCache, script: _Script, keys: list[str], args: list[int]) -> Any:
    names = [cache.make_and_validate_key(key) for key in keys]
    client = _client(cache, names[0])
    try:
        return client.evalsha(script.sha, len(names), *names, *args)
    except NoScriptError:  # a restarted or flushed server: send the text, which caches it
        return client.eval(script.text, len(names), *names, *args)


def _client(cache: RedisCache, name: str) -> Any:
    # `_cache` is Django's RedisCacheClient: its pool, its key prefix and version rules.
    return cache._cache.get_client(name, write=True)
