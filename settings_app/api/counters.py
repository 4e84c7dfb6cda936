"""Atomic fixed-window counters shared by every worker and host, kept in the Django cache.

With Redis (`KEYVAULT_CACHE_URL=redis://...`) `cache.incr` is Redis' INCR, atomic on the
server. Django's database cache (the default) implements `incr` as a read then a write, which
loses counts under concurrency, so with it the counters go to a table of their own,
incremented with `UPDATE ... SET count = count + 1` (`RateLimitCounter`). A cache that lives in
one process (locmem) counts per worker: `manage.py check` warns about it (keyvault.W201).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, router, transaction
from django.db.models import F
from django.utils import timezone

from .models import RateLimitCounter

# Keys carry their window's number, so a key is never reused: the cache may keep it a little
# longer than the window without ever counting into the next one.
EXPIRY_MARGIN = 5


def increment(key: str, seconds: int) -> int:
    """Add one to the counter `key` (created at 0, living `seconds`); its new value."""
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return _increment_row(key, seconds)
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


def _increment_row(key: str, seconds: int) -> int:
    db = router.db_for_write(RateLimitCounter)
    counters = RateLimitCounter.objects.using(db)
    now = timezone.now()
    with transaction.atomic(using=db):
        # The UPDATE takes the row's lock until commit, so the count read back is our own.
        if not counters.filter(key=key).update(count=F("count") + 1):
            if _create_row(db, key, now + timedelta(seconds=seconds + EXPIRY_MARGIN)):
                counters.filter(expires_at__lt=now).delete()  # once per key: keep it small
                return 1
            counters.filter(key=key).update(count=F("count") + 1)  # another worker created it
        return int(counters.values_list("count", flat=True).get(key=key))


def _create_row(db: str, key: str, expires_at: datetime) -> bool:
    try:
        with transaction.atomic(using=db):
            RateLimitCounter.objects.using(db).create(key=key, count=1, expires_at=expires_at)
    except IntegrityError:
        return False
    return True
