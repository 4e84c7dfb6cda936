"""System checks for the API: its rate limits need a cache every worker shares."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .throttling import configured_rate

# Caches whose counters are not shared, or not atomic, across gunicorn workers.
PER_PROCESS = ("django.core.cache.backends.locmem.LocMemCache",)
NOT_ATOMIC = ("django.core.cache.backends.filebased.FileBasedCache",)
NO_COUNTERS = ("django.core.cache.backends.dummy.DummyCache",)
FIX = (
    "Leave KEYVAULT_CACHE_URL unset (the database cache, whose table `manage.py migrate` "
    "creates) or set it to redis://host:6379/0."
)


@register(Tags.caches)
def check_rate_limit_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    if backend in NO_COUNTERS:
        return [
            Error(
                "The dummy cache keeps no counters: every API request fails.",
                hint=FIX,
                id="keyvault.E201",
            )
        ]
    if backend in PER_PROCESS + NOT_ATOMIC:
        name = backend.rsplit(".", 1)[-1]
        return [
            Warning(
                f"{name} does not share atomic counters between gunicorn workers: each worker "
                "would allow KEYVAULT_API_RATE on its own.",
                hint=FIX,
                id="keyvault.W201",
            )
        ]
    return []


@register()
def check_api_rate(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        configured_rate()
    except ImproperlyConfigured as error:  # the message names the variable
        return [Error(str(error), id="keyvault.E202")]
    return []
