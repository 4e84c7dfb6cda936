"""Atomic fixed-window counters shared by every worker and host, kept in the Django cache.

With Redis (`KEYVAULT_CACHE_URL=redis://...`) a count is Redis' INCR, atomic on the server,
pipelined with the `SET NX` that starts the window (`counters/redis_increments.py`: one round trip).
Django's database cache (the default) implements `incr` as a read then a write, which loses
counts under concurrency, so with it the counters go to a table of their own, changed
by one atomic upsert (`ON CONFLICT DO UPDATE SET count = count + 1`). A cache that lives in one
process (locmem) counts per worker: `manage.py check` warns about it (keyvault.W201).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from settings_app.counters import redis_increments
from settings_app.counters.relaxed_commit import relaxed_commit

from .models import RateLimitCounter

# ON CONFLICT ... DO UPDATE ... RETURNING: PostgreSQL, and SQLite from 3.35.
UPSERT_VENDORS = frozenset({"postgresql", "sqlite"})

# Keys carry their window's number, so a key is never reused: the cache may keep it a little
# longer than the window without ever counting into the next one.
EXPIRY_MARGIN = 5


def in_database() -> bool:
    """True when the counters are rows of the database (the default database cache)."""
    return isinstance(caches["default"], DatabaseCache)


def database() -> str:
    """The database alias the counter rows are written to."""
    return router.db_for_write(RateLimitCounter)


def increment(key: str, seconds: int) -> int:
    """Add one to the counter `key` (created at 0, living `seconds`); its new value."""
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return _increment_row(key, seconds)
    if isinstance(cache, RedisCache):  # one round trip, not Django's three
        return redis_increments.increment_or_create(cache, key, seconds + EXPIRY_MARGIN)
    for _ in range(2):
        cache.add(key, 0, seconds + EXPIRY_MARGIN)
        try:
            return int(cache.incr(key))
        except ValueError:
            continue  # evicted between add and incr: create it again
    raise ImproperlyConfigured(
        f"The cache {type(cache).__name__} keeps no counters, so API rate limits cannot work: "
        "set KEYVAULT_CACHE_URL to redis://... or leave it unset for the database cache."
    )


def increment_with_repeats(
    key: str, seconds: int, limit: int, repeat_keys: list[str]
) -> tuple[int, list[bool]]:
    """`increment(key, seconds)` and, within `limit`, each open repeat count of `repeat_keys`
    (audit windows), in one Redis round trip; which repeats were counted. Redis only."""
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    return redis_increments.increment_within_limit(
        cache, key, seconds + EXPIRY_MARGIN, limit, repeat_keys
    )


def _increment_row(key: str, seconds: int) -> int:
    db = database()
    now = timezone.now()
    expires_at = now + timedelta(seconds=seconds + EXPIRY_MARGIN)
    with relaxed_commit(db):  # a crash may forget a few requests; it never blocks on fsync
        if connections[db].vendor in UPSERT_VENDORS:
            count = _upsert(db, key, expires_at)
        else:
            count = _update_or_create(db, key, expires_at)
        if count == 1:  # a new window: the only moment old counters need clearing
            RateLimitCounter.objects.using(db).filter(expires_at__lt=now).delete()
    return count


def _upsert(db: str, key: str, expires_at: datetime) -> int:
    """One statement: insert at 1, or add 1 to the existing row; the count after it."""
    connection = connections[db]
    quote = connection.ops.quote_name
    table = quote(RateLimitCounter._meta.db_table)
    count, key_column, expires_column = (quote(name) for name in ("count", "key", "expires_at"))
    sql = (
        f"INSERT INTO {table} ({key_column}, {count}, {expires_column}) VALUES (%s, 1, %s) "  # noqa: S608 (quoted names; values are parameters)
        f"ON CONFLICT ({key_column}) DO UPDATE SET {count} = {table}.{count} + 1 "
        f"RETURNING {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(expires_at)])
        return int(cursor.fetchone()[0])


def _update_or_create(db: str, key: str, expires_at: datetime) -> int:
    """The same with the ORM (other databases): the UPDATE holds the row until commit."""
    counters = RateLimitCounter.objects.using(db)
    if not counters.filter(key=key).update(count=F("count") + 1):
        try:
            with transaction.atomic(using=db):
                counters.create(key=key, count=1, expires_at=expires_at)
                return 1
        except IntegrityError:  # another worker created it first
            counters.filter(key=key).update(count=F("count") + 1)
    return int(counters.values_list("count", flat=True).get(key=key))
