"""Tokens and provider keys for the gateway, from the shared per-process caches
(`settings_app.lookups`): a thread trip only on a miss.

A token comes from `lookups.tokens` (cached a second, dropped on any token save in this
process, expiry checked on every request). A setting's key comes from the value cache
(`lookups.values`, behind `Setting.objects.get_value`), so a rotated key applies to the next
request in every worker within about a second; its provider is cached beside it and dropped
whenever the value cache drops anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from settings_app.api.models import ServiceToken
from settings_app.lookups import tokens as token_lookup
from settings_app.lookups import values as value_cache

_providers: dict[str, tuple[str | None, int]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ProviderKey:
    """A setting's provider and its stored plaintext (a key, or a credential's envelope; never
    printed)."""

    provider_slug: str
    key: str = field(repr=False)


async def active_token(presented: str) -> ServiceToken | None:
    """The active token `presented` is, or None; malformed tokens never reach the database."""
    found, token = token_lookup.peek(presented)
    if found:
        return token
    token = await run_sync(token_lookup.active_token, presented)
    return token if isinstance(token, ServiceToken) else None


async def provider_key(setting_key: str) -> ProviderKey | None:
    """The provider and key of setting `setting_key`, None when there is no such setting."""
    found, value = value_cache.peek(setting_key)
    provider = _providers.get(setting_key)
    if not found or provider is None or provider[1] != value_cache.generation():
        return await run_sync(_load_provider_key, setting_key)
    return None if value is None or provider[0] is None else ProviderKey(provider[0], value)


def _load_provider_key(setting_key: str) -> ProviderKey | None:
    from settings_app.models import Setting

    generation = value_cache.generation()
    value = Setting.objects.get_stored_value(setting_key)  # an envelope for structured ones
    slug = Setting.objects.filter(key=setting_key).values_list("provider", flat=True).first()
    with _lock:
        _providers[setting_key] = (slug, generation)
    return None if value is None or slug is None else ProviderKey(slug, value)


async def run_sync(function: Any, *args: Any) -> Any:
    """`function(*args)` in a worker thread, with Django's per-request connection hygiene."""
    return await sync_to_async(_with_fresh_connections, thread_sensitive=True)(function, *args)


def _with_fresh_connections(function: Any, *args: Any) -> Any:
    close_old_connections()  # what request_started does for Django's own requests
    try:
        return function(*args)
    finally:
        close_old_connections()


def reset() -> None:
    """Forget every cached token and provider (tests)."""
    token_lookup.reset()
    with _lock:
        _providers.clear()
