"""Repeat counts of coalesced audit windows kept in Redis, so a steady read writes no row.

With `KEYVAULT_CACHE_URL=redis://...` a repeat is one Redis INCR (atomic on the server, one
round trip: `counters/redis_increments.py`) instead
of an UPDATE of the window's row; the count is folded into the window's summary event when the
window is flushed. The window's row (and its first event) is still written to the database when
the window opens: a crash can lose repeat counts of open windows, never the first event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from ..counters import redis_increments

# How long a count outlives its window, waiting for a later read or `flush_audit_windows`.
FLUSH_GRACE = timedelta(days=1)


def in_cache() -> bool:
    """True when repeat counts live in the cache (Redis) rather than in the window rows."""
    return isinstance(caches["default"], RedisCache)


def count(action: str, subject: str, start: datetime) -> bool:
    """Add one to the open window's count; False when the window has no count (not open)."""
    cache = caches["default"]
    assert isinstance(cache, RedisCache)  # in_cache() said so
    return redis_increments.increment_if_present(cache, key(action, subject, start))


def open_count(action: str, subject: str, start: datetime, window: timedelta) -> None:
    """Start the window's count at 0 (never resets one that exists)."""
    timeout = (window + FLUSH_GRACE).total_seconds()
    caches["default"].add(key(action, subject, start), 0, timeout)


def take(action: str, subject: str, start: datetime) -> int:
    """The window's count, removed from the cache (0 if there is none): one GETDEL, so a
    repeat counted meanwhile is either in this count or finds the window gone."""
    cache = caches["default"]
    assert isinstance(cache, RedisCache)  # in_cache() said so
    return redis_increments.take(cache, key(action, subject, start))


def key(action: str, subject: str, start: datetime) -> str:
    """The cache key of the window's count."""
    return f"kv:repeats:{action}:{subject}:{int(start.timestamp())}"
