"""manage.py check tells of a cache that cannot hold the API's rate limits, and a bad rate."""

from __future__ import annotations

import pytest

from settings_app.api.checks import check_api_rate, check_rate_limit_cache


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("django.core.cache.backends.db.DatabaseCache", []),
        ("django.core.cache.backends.redis.RedisCache", []),
        ("django.core.cache.backends.locmem.LocMemCache", ["keyvault.W201"]),
        ("django.core.cache.backends.filebased.FileBasedCache", ["keyvault.W201"]),
        ("django.core.cache.backends.dummy.DummyCache", ["keyvault.E201"]),
    ],
)
def test_the_cache_must_share_atomic_counters(settings, tmp_path, backend, expected) -> None:
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    messages = check_rate_limit_cache()
    assert ids(messages) == expected
    if messages:
        assert "KEYVAULT_CACHE_URL" in (messages[0].hint or "")


def test_a_bad_rate_is_reported_with_the_variable_name(settings) -> None:
    settings.KEYVAULT_API_RATE = "lots"
    [error] = check_api_rate()
    assert error.id == "keyvault.E202" and "KEYVAULT_API_RATE='lots'" in error.msg
    settings.KEYVAULT_API_RATE = "100/s"
    assert check_api_rate() == []
