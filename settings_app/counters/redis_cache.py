"""Django's Redis cache with one connection pool per process, not one per request.

Django keeps cache objects per async context, and under ASGI every request runs in a new one:
with the stock backend each request built its own client, its own connection pool and so a new
TCP connection to Redis (with its HELLO handshake), which cost an API read more CPU than the
read itself and left Redis with a connection per request. Connection pools and the `redis.Redis`
clients over them are thread-safe, so this backend shares them by server list and options for
the life of the process (redis-py resets a pool it finds in a forked child).
`KEYVAULT_CACHE_URL=redis://...` selects it (keyvault_site/settings.py).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_shared: dict[tuple[tuple[str, ...], str], SharedRedisCacheClient] = {}
_shared_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    """A RedisCacheClient that builds each pool, and the client over it, once."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._single_server = len(servers) == 1
        self._clients: dict[bool, Any] = {}
        self._lock = threading.Lock()

    def get_client(
        self, key: str | bytes | memoryview | None = None, *, write: bool = False
    ) -> Any:
        client = self._clients.get(write)
        if client is None:
            with self._lock:  # two threads never build two pools for one server
                client = self._clients.get(write) or super().get_client(key, write=write)
                if write or self._single_server:  # else a read picks a replica each time
                    self._clients[write] = client
        return client


class SharedPoolRedisCache(RedisCache):
    """Django's RedisCache whose client (pools, connections) is shared within the process."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._shared_servers = (
            server.replace(",", ";").split(";") if isinstance(server, str) else server
        )
        self._shared_options: dict[str, Any] = params.get("OPTIONS", {})

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        # The same servers and options share a client; other settings (tests) get their own.
        key = (tuple(self._shared_servers), repr(sorted(self._shared_options.items())))
        with _shared_lock:
            client = _shared.get(key)
            if client is None:
                client = SharedRedisCacheClient(self._shared_servers, **self._shared_options)
                _shared[key] = client
        return client
