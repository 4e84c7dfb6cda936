"""A per-process cache of plaintext values for `Setting.objects.get_value`.

An uncached read is a query and a decryption (~290 µs on SQLite); a warm one is a dictionary
lookup. Values are kept for KEYVAULT_VALUE_CACHE_SECONDS (0 turns the cache off), and dropped
sooner when a setting changes:

- in this process at once, on save or delete (receivers below) or `invalidate()`;
- in every other process within about a second: each committed change writes a new random
  stamp to Django's default cache (the database cache, or Redis with KEYVAULT_CACHE_URL), and
  each process re-reads the stamp at most once a second, emptying its cache when it differs.
  The shared cache only ever holds that stamp: never a value, never a ciphertext.

A thread that changed a setting in a transaction not yet committed reads around the cache, so
it sees its own change and never hands an uncommitted value to other threads; a value read
inside any transaction (perhaps from an older snapshot) is kept for a second at most.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

STAMP_KEY = "keyvault:value-cache:stamp"
CHECK_INTERVAL = 1.0  # seconds between two reads of the shared stamp, per process
VALUE_FIELDS = frozenset({"key", "value"})  # saves of other fields leave values as they were

logger = logging.getLogger(__name__)
Loader = Callable[[str], str | None]
_UNKNOWN = object()


class _ProcessCache:
    """key -> (value, or None for no such setting; monotonic expiry time)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str | None, float]] = {}
        self.generation = 0  # changes on every drop: a load that spans one is not stored
        self.stamp: object = _UNKNOWN
        self.next_check = 0.0
        self.shared_cache_failing = False
        self.lock = threading.Lock()

    def drop(self, key: str | None = None) -> None:
        with self.lock:
            self.generation += 1
            if key is None:
                self.entries.clear()
            else:
                self.entries.pop(key, None)

    def store(self, key: str, value: str | None, expires: float, generation: int) -> None:
        with self.lock:
            if generation == self.generation:
                self.entries[key] = (value, expires)


_cache = _ProcessCache()
_uncommitted = threading.local()  # .hooks: this thread's on-commit hooks -> database alias


def lookup(key: str, load: Loader) -> str | None:
    """The value of setting `key` (None if there is none): cached, or from `load(key)`."""
    ttl = settings.KEYVAULT_VALUE_CACHE_SECONDS
    if ttl <= 0 or _has_uncommitted_change():
        return load(key)
    now = monotonic()
    if now >= _cache.next_check:
        _check_stamp(now)
    entry = _cache.entries.get(key)
    if entry is not None and entry[1] > now:
        return entry[0]
    generation = _cache.generation
    value = load(key)
    _cache.store(key, value, now + _lifetime(ttl), generation)
    return value


def peek(key: str) -> tuple[bool, str | None]:
    """(True, value) when `key` can be answered from this process's cache without any I/O,
    else (False, None): for callers on an event loop, which load through `lookup` in a thread
    only on a miss (and at most once a second, when the shared stamp is due)."""
    if settings.KEYVAULT_VALUE_CACHE_SECONDS <= 0:
        return False, None
    now = monotonic()
    if now >= _cache.next_check:
        return False, None
    entry = _cache.entries.get(key)
    if entry is None or entry[1] <= now:
        return False, None
    return True, entry[0]


def generation() -> int:
    """A number that changes whenever cached values are dropped: derived caches compare it."""
    return _cache.generation


def _lifetime(ttl: float) -> float:
    """How long a value just loaded may be kept.

    Inside a transaction the database may answer from a snapshot older than the last change
    stamp this process saw, so such a value is kept no longer than until the next stamp check.
    """
    if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
        return min(ttl, CHECK_INTERVAL)
    return ttl


def invalidate(key: str | None = None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Forget the cached value of `key` (every value if None) now, and in every process when
    the current transaction on `using` commits (at once outside a transaction).

    Saves and deletes call this by themselves; call it after changing a value another way
    (`QuerySet.update()`, raw SQL, restoring an earlier version).
    """
    _cache.drop(key)

    def committed() -> None:
        _cache.drop(key)  # another thread may have cached the old value meanwhile
        _announce_change()
        _uncommitted_hooks().pop(committed, None)

    if transaction.get_connection(using).in_atomic_block:
        _uncommitted_hooks()[committed] = using
    transaction.on_commit(committed, using=using)


def reset() -> None:
    """Forget everything, the stamp included (tests; a change of cache settings)."""
    _cache.drop()
    _cache.stamp, _cache.next_check = _UNKNOWN, 0.0
    _uncommitted_hooks().clear()


def _uncommitted_hooks() -> dict[Callable[[], None], str]:
    if not hasattr(_uncommitted, "hooks"):
        _uncommitted.hooks = {}
    hooks: dict[Callable[[], None], str] = _uncommitted.hooks
    return hooks


def _has_uncommitted_change() -> bool:
    """Whether this thread changed a setting in a transaction that is still open."""
    hooks = getattr(_uncommitted, "hooks", None)
    if not hooks:
        return False
    # Django keeps an on-commit hook queued until its transaction (or savepoint) ends:
    # committed hooks ran and removed themselves; rolled-back ones Django discarded.
    for hook, alias in list(hooks.items()):
        connection = transaction.get_connection(alias)
        queued = connection.in_atomic_block and any(
            entry[1] is hook for entry in connection.run_on_commit
        )
        if not queued:
            del hooks[hook]
    return bool(hooks)


def _check_stamp(now: float) -> None:
    _cache.next_check = now + CHECK_INTERVAL
    try:
        stamp = cache.get(STAMP_KEY)
    except Exception:  # the shared cache is down: values still expire after their TTL
        _report_shared_cache_failure("read")
        return
    _cache.shared_cache_failing = False
    if stamp != _cache.stamp:
        _cache.drop()
        _cache.stamp = stamp


def _announce_change() -> None:
    stamp = secrets.token_hex(8)
    try:
        cache.set(STAMP_KEY, stamp, timeout=None)
    except Exception:
        _report_shared_cache_failure("write")
        return
    _cache.stamp = stamp  # this process has dropped its values already


def _report_shared_cache_failure(operation: str) -> None:
    if not _cache.shared_cache_failing:  # once per outage, not once a second
        _cache.shared_cache_failing = True
        logger.warning(
            "Could not %s the setting change stamp in the default cache: other processes "
            "see changed settings only after KEYVAULT_VALUE_CACHE_SECONDS.",
            operation,
            exc_info=True,
        )


@receiver(post_save, sender="settings_app.Setting", dispatch_uid="keyvault-value-cache-save")
def _setting_saved(sender: Any, using: str, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields and VALUE_FIELDS.isdisjoint(update_fields):
        return  # e.g. a verification result: the value is unchanged
    invalidate(using=using)  # every key: the save may have renamed one


@receiver(post_delete, sender="settings_app.Setting", dispatch_uid="keyvault-value-cache-delete")
def _setting_deleted(sender: Any, using: str, **kwargs: Any) -> None:
    invalidate(using=using)


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("KEYVAULT_") or setting == "CACHES":
        reset()
