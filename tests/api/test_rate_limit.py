"""KEYVAULT_API_RATE: per token, shared by every worker, in the database cache and in Redis."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.utils import timezone

from settings_app.api import counters
from settings_app.api.models import RateLimitCounter
from settings_app.api.throttling import parse_rate
from tests.api.conftest import SETTINGS_URL, bearer

OPENAI_URL = SETTINGS_URL + "openai_api_key"


@pytest.fixture(params=["database", "redis"])
def cache_backend(request, settings) -> str:
    """Each test runs once on Django's database cache (the default) and once on Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return str(request.param)


@pytest.mark.django_db
def test_a_token_over_its_rate_gets_429_with_retry_after(
    stored, make_token, settings, cache_backend
) -> None:
    settings.KEYVAULT_API_RATE = "3/m"
    client = bearer(make_token().secret)
    start = timezone.now().replace(second=10, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        assert [client.get(OPENAI_URL).status_code for _ in range(4)] == [200, 200, 200, 429]
        refused = client.get(OPENAI_URL)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"  # seconds until the minute ends
    assert refused["Cache-Control"] == "no-store"
    assert b"sk-proj" not in refused.content
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        assert client.get(OPENAI_URL).status_code == 200  # a new window


@pytest.mark.django_db
def test_the_limit_is_per_token_not_global(stored, make_token, settings, cache_backend) -> None:
    settings.KEYVAULT_API_RATE = "2/h"
    busy, quiet = bearer(make_token().secret), bearer(make_token().secret)
    with time_machine.travel(timezone.now().replace(minute=0), tick=False):
        assert [busy.get(OPENAI_URL).status_code for _ in range(3)] == [200, 200, 429]
        assert [quiet.get(OPENAI_URL).status_code for _ in range(2)] == [200, 200]


@pytest.mark.django_db
def test_refused_requests_are_not_limited_per_token(stored, make_token, settings) -> None:
    settings.KEYVAULT_API_RATE = "1/m"
    client = bearer(make_token().secret)
    with time_machine.travel(timezone.now().replace(second=0), tick=False):
        assert client.get(OPENAI_URL).status_code == 200
        assert client.get(OPENAI_URL).status_code == 429
        # An invalid token is a 401 (authentication comes first), never someone else's 429.
        assert bearer("kvt_nope").get(OPENAI_URL).status_code == 401


@pytest.mark.django_db
def test_the_database_cache_counts_in_its_own_table(stored, make_token, settings) -> None:
    assert type(caches["default"]).__name__ == "DatabaseCache"
    client = bearer(make_token().secret)
    for _ in range(3):
        client.get(OPENAI_URL)
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [3]


@pytest.mark.django_db
def test_redis_counts_in_redis(stored, make_token, redis_cache) -> None:
    client = bearer(make_token().secret)
    for _ in range(3):
        client.get(OPENAI_URL)
    assert not RateLimitCounter.objects.exists()
    redis = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = redis.keys("*keyvault:api-rate:*")
    assert len(keys) == 1 and int(redis.get(keys[0])) == 3
    assert 0 < redis.ttl(keys[0]) <= 65


@pytest.mark.django_db
def test_expired_database_counters_are_removed(settings) -> None:
    counters.increment("old-window", 60)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        counters.increment("new-window", 60)
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["new-window"]


def test_a_cache_that_cannot_count_is_a_clear_error(settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with pytest.raises(ImproperlyConfigured, match="KEYVAULT_CACHE_URL"):
        counters.increment("key", 60)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("600/m", (600, 60)),
        ("20/s", (20, 1)),
        ("10000/hour", (10000, 3600)),
        (" 5 / d ", (5, 86400)),
    ],
)
def test_rates_are_parsed(text, expected) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "600", "600/x", "0/m", "-1/m", "m/600", "1.5/s"])
def test_bad_rates_name_the_variable(text) -> None:
    with pytest.raises(ImproperlyConfigured, match="KEYVAULT_API_RATE"):
        parse_rate(text)


# --- concurrency ----------------------------------------------------------------------------------

WORKERS, PER_WORKER = 8, 25


def _hammer(key: str) -> list[int]:
    """Increment `key` from WORKERS threads at once; every value returned."""
    seen: list[int] = []
    lock, barrier = threading.Lock(), threading.Barrier(WORKERS)

    def work() -> None:
        try:
            barrier.wait()
            values = [counters.increment(key, 60) for _ in range(PER_WORKER)]
            with lock:
                seen.extend(values)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_in_redis_lose_nothing(redis_cache) -> None:
    assert sorted(_hammer("concurrent")) == list(range(1, WORKERS * PER_WORKER + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_in_the_database_lose_nothing() -> None:
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory test database is one connection; tests/api/test_server.py "
            "runs two gunicorn workers on an SQLite file instead"
        )
    assert sorted(_hammer("concurrent")) == list(range(1, WORKERS * PER_WORKER + 1))
