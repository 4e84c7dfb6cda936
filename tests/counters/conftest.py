"""The Django cache on Redis database 9, through keyvault's shared-pool backend, emptied before
and after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

REDIS_DB9 = "redis://127.0.0.1:6379/9"
BACKEND = "settings_app.counters.redis_cache.SharedPoolRedisCache"


@pytest.fixture
def redis(settings: Any) -> Iterator[RedisCache]:
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": REDIS_DB9}}
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    cache.clear()
    yield cache
    cache.clear()
