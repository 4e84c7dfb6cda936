"""The Redis cache backend shares one client, and so one connection pool, per process: Django
makes a cache object per async context (each ASGI request), and with the stock backend each of
them opened its own Redis connection."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

import redis as redis_lib
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from tests.counters.conftest import BACKEND, REDIS_DB9


def _in_new_context(work: Any) -> Any:
    """`work()` as a new ASGI request would run it: in a context of its own."""
    return contextvars.Context().run(work)


def test_every_request_context_uses_the_same_connections(redis) -> None:
    server = redis_lib.Redis.from_url(REDIS_DB9)
    caches["default"].set("warm", 1)  # this process's pool holds a connection now
    before = server.info("stats")["total_connections_received"]
    for number in range(30):
        _in_new_context(lambda n=number: caches["default"].set(f"k{n}", n))
    assert _in_new_context(lambda: caches["default"].get("k29")) == 29
    opened = server.info("stats")["total_connections_received"] - before
    assert opened == 0


def test_threads_share_the_client_and_build_one_pool(redis) -> None:
    clients: list[Any] = []
    barrier = threading.Barrier(8)

    def request() -> None:
        barrier.wait(timeout=60)
        clients.append(_in_new_context(lambda: _client_of_default().get_client(write=True)))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(clients) == 8
    assert len({id(client) for client in clients}) == 1
    assert len({id(client.connection_pool) for client in clients}) == 1


def test_other_settings_get_a_client_of_their_own(redis, settings: Any) -> None:
    first = _client_of_default()
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": "redis://127.0.0.1:6379/10"}}
    assert _client_of_default() is not first
    assert _client_of_default().get_client().connection_pool.connection_kwargs["db"] == 10


def _client_of_default() -> Any:
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    return cache._cache
