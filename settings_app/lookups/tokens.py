"""The active service token a request presents, cached per process: a query at most once a
second per token and process.

A token is cached under its keyed hash (never the presented secret) for TOKEN_CACHE_SECONDS,
and dropped at once in this process when any token is saved or deleted (a revocation); other
processes see a revocation within TOKEN_CACHE_SECONDS. Expiry is checked on every use. Only the
token's own columns are cached: related rows (its creator) are loaded by each request. Unknown
tokens are never cached: no memory for an attacker to fill.
"""

from __future__ import annotations

import threading
from time import monotonic
from typing import Any

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from settings_app.api import tokens as token_format
from settings_app.models import ServiceToken

from .rows import first_where

TOKEN_CACHE_SECONDS = 1.0

_cached: dict[str, tuple[ServiceToken, float]] = {}  # keyed hash -> (token, monotonic expiry)
_lock = threading.Lock()


def active_token(presented: str) -> ServiceToken | None:
    """The active token `presented` is, or None; malformed tokens never reach the database."""
    found, token = peek(presented)
    if found:
        return token
    token = find_token(presented)
    if token is None:
        return None
    with _lock:
        _cached[token_format.token_hash(presented)] = (token, monotonic() + TOKEN_CACHE_SECONDS)
    return token if token.is_active(timezone.now()) else None


def peek(presented: str) -> tuple[bool, ServiceToken | None]:
    """(True, the active token or None) when the cache can answer without I/O (a malformed
    token, or a cached one), else (False, None): for callers on an event loop, which call
    `active_token` in a thread only then."""
    if not token_format.is_well_formed(presented):
        return True, None
    cached = _cached.get(token_format.token_hash(presented))
    if cached is None or cached[1] <= monotonic():
        return False, None
    token = cached[0]
    # Related rows (its creator, whose rights can change) are read afresh by each request.
    token._state.fields_cache.clear()
    return True, (token if token.is_active(timezone.now()) else None)


def find_token(presented: str) -> ServiceToken | None:
    """The token row `presented` hashes to (active or not), by one indexed query; uncached."""
    if not token_format.is_well_formed(presented):
        return None
    hashes = token_format.candidate_hashes(presented)
    token = first_where(ServiceToken, "token_hash", hashes)
    # The index found it; compare again in constant time so no code path leaks timing.
    if token is None or not any(constant_time_compare(token.token_hash, h) for h in hashes):
        return None
    return token


def reset() -> None:
    """Forget every cached token (a token saved in this process; tests)."""
    with _lock:
        _cached.clear()


@receiver(post_save, sender=ServiceToken, dispatch_uid="keyvault-token-cache-save")
@receiver(post_delete, sender=ServiceToken, dispatch_uid="keyvault-token-cache-delete")
def _token_changed(**kwargs: Any) -> None:
    reset()


@receiver(setting_changed, dispatch_uid="keyvault-token-cache-settings")
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        reset()  # the hashes the cache is keyed by have changed
