"""Counters in Redis in one round trip: a window's count starts with its TTL, and a repeat
count is never created by counting (a flushed window stays flushed)."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache

from settings_app.counters import redis_increments


def test_a_counter_starts_at_one_with_its_lifetime_and_reads_through_the_cache(redis) -> None:
    counts = [redis_increments.increment_or_create(redis, "rate:1", 60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert redis.get("rate:1") == 3  # Django's serializer keeps integers plain
    assert 0 < _ttl(redis, "rate:1") <= 60
    assert redis_increments.increment_or_create(redis, "rate:1", 5) == 4
    assert _ttl(redis, "rate:1") > 5  # the window's lifetime is set once, when it starts


def test_counting_a_repeat_never_creates_its_window(redis) -> None:
    assert redis_increments.increment_if_present(redis, "repeats:w") is False
    assert redis.get("repeats:w") is None
    redis.add("repeats:w", 0, 60)
    assert redis_increments.increment_if_present(redis, "repeats:w") is True
    assert redis.get("repeats:w") == 1


def test_a_read_counts_its_rate_and_only_the_open_repeat_windows(redis) -> None:
    redis.add("repeats:open", 0, 60)
    count, counted = redis_increments.increment_within_limit(
        redis, "rate:2", 60, 2, ["repeats:open", "repeats:flushed"]
    )
    assert (count, counted) == (1, [True, False])
    assert redis.get("repeats:open") == 1
    assert redis.get("repeats:flushed") is None  # a closed window is never re-created
    assert 0 < _ttl(redis, "rate:2") <= 60


def test_over_the_limit_nothing_but_the_rate_is_counted(redis) -> None:
    redis.add("repeats:open", 0, 60)
    results = [
        redis_increments.increment_within_limit(redis, "rate:3", 60, 1, ["repeats:open"])
        for _ in range(3)
    ]
    assert results == [(1, [True]), (2, []), (3, [])]
    assert redis.get("repeats:open") == 1  # refused reads are not audited as repeats


def test_taking_a_count_removes_it_in_the_same_step(redis) -> None:
    redis.add("repeats:w", 0, 60)
    for _ in range(3):
        redis_increments.increment_if_present(redis, "repeats:w")
    assert redis_increments.take(redis, "repeats:w") == 3
    assert redis.get("repeats:w") is None
    assert redis_increments.take(redis, "repeats:w") == 0
    assert redis_increments.increment_if_present(redis, "repeats:w") is False


def test_scripts_survive_a_server_that_forgot_them(redis) -> None:
    _client(redis).script_flush()  # as after a Redis restart: EVALSHA answers NOSCRIPT
    assert redis_increments.increment_or_create(redis, "rate:4", 60) == 1
    assert redis_increments.increment_or_create(redis, "rate:4", 60) == 2


def _client(cache: RedisCache) -> Any:
    return cache._cache.get_client(write=True)


def _ttl(cache: RedisCache, key: str) -> int:
    name = cache.make_and_validate_key(key)
    return int(cache._cache.get_client(name).ttl(name))
