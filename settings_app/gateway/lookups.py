"""Tokens and provider keys for the gateway, from in-process caches: a thread trip only on a miss.

A token is cached under its HMAC for at most TOKEN_CACHE_SECONDS and dropped at once in this
process when any token is saved (revoked); expiry is checked on every request. A setting's key
comes from the value cache (`Setting.objects.get_value`), so a rotated key applies to the next
request in every worker within about a second; its provider is cached beside it and dropped
whenever the value cache drops anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from settings_app import value_cache
from settings_app.api import tokens
from settings_app.api.authentication import find_active_token
from settings_app.api.models import ServiceToken

TOKEN_CACHE_SECONDS = 1.0

_tokens: dict[str, tuple[ServiceToken, float]] = {}
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
    if not tokens.is_well_formed(presented):
        return None
    digest = tokens.token_hash(presented)
    cached = _tokens.get(digest)
    if cached is None or cached[1] <= monotonic():
        token = await run_sync(find_active_token, presented)
        if token is None:
            return None  # unknown tokens are not cached: no memory for an attacker to fill
        cached = (token, monotonic() + TOKEN_CACHE_SECONDS)
        with _lock:
            _tokens[digest] = cached
    token = cached[0]
    return token if token.is_active(timezone.now()) else None


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
    """Forget every cached token and provider (tests; a token saved in this process)."""
    with _lock:
        _tokens.clear()
        _providers.clear()


@receiver(post_save, sender=ServiceToken, dispatch_uid="keyvault-gateway-token-saved")
def _token_saved(**kwargs: Any) -> None:
    reset()
