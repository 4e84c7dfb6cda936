"""`Client`: settings from a keyvault server, cached per process and revalidated with ETags.

A warm `get` is a dictionary lookup and a clock check. When the cached value is older than
`cache_seconds` the next call revalidates it (If-None-Match: a 304 costs the server no
decryption). If the server cannot answer (timeout, connection error, 5xx, 429) a cached value
is still served for `stale_if_error` seconds; after that the error is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from time import monotonic

from . import config
from .credentials import Credential
from .errors import (
    Forbidden,
    NotFound,
    ProtocolError,
    StructuredCredential,
    Unauthorized,
    Unavailable,
)
from .protocol import (
    RemoteSetting,
    Response,
    bulk_path,
    check_key,
    parse_many,
    parse_one,
    raise_for_status,
    request_headers,
    setting_path,
)
from .transports import DEFAULT_TIMEOUT, HttpxTransport
from .writes import WriteMethods

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from .transports import Transport

    TransportFactory = Callable[[str, str, float], Transport]

DEFAULT_STALE_IF_ERROR = 300.0
RETRY_AFTER_ERROR = 5.0  # while the server is down, one caller per key tries again this often


class _Entry:
    """A cached value; immutable once stored, so readers need no lock."""

    __slots__ = ("etag", "fresh_until", "usable_until", "value")

    def __init__(
        self, value: str | Credential, etag: str, fresh_until: float, usable_until: float
    ) -> None:
        self.value, self.etag = value, etag
        self.fresh_until, self.usable_until = fresh_until, usable_until


class Client(WriteMethods):
    """Reads settings from keyvault with a service token. Thread-safe; share one per process.

    A token with a write scope also writes: `set`, `rollback`, `delete`, `verify` (writes.py).

    `url` and `token` default to KEYVAULT_URL and KEYVAULT_TOKEN (or KEYVAULT_TOKEN_FILE);
    `cache_seconds` to KEYVAULT_CACHE_SECONDS, else 60.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        cache_seconds: float | None = None,
        stale_if_error: float = DEFAULT_STALE_IF_ERROR,
        timeout: float = DEFAULT_TIMEOUT,
        transport: TransportFactory = HttpxTransport,
    ) -> None:
        self._config = config.load(url, token)
        self._ttl = config.cache_seconds(cache_seconds)
        self._stale_if_error = config.non_negative(stale_if_error, "stale_if_error")
        self._transport = transport(self._config.url, self._config.origin, timeout)
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"<keyvault_client.Client {self._config.origin}>"  # never the token

    def get(self, key: str) -> str:
        """The value of setting `key`; NotFound, Unauthorized, Forbidden or Unavailable if not.

        StructuredCredential when it holds several fields: use get_credential()."""
        value = self.get_item(key)
        if isinstance(value, Credential):
            raise StructuredCredential(key)
        return value

    def get_credential(self, key: str) -> Credential:
        """Setting `key` as a Credential (fields, env, files); a single key is field api_key."""
        value = self.get_item(key)
        if isinstance(value, Credential):
            return value
        return Credential({"api_key": value}, {}, {}, ("api_key",))

    def get_item(self, key: str) -> str | Credential:
        """The value of setting `key`, or its Credential when it has several fields."""
        entry = self._entries.get(key)
        if entry is not None and entry.fresh_until > monotonic():
            return entry.value
        return self._refresh(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, str | Credential]:
        """The values of `keys` (Credentials for structured ones), fetching every one not
        fresh in the cache in one request."""
        keys = list(dict.fromkeys(keys))
        now = monotonic()
        values: dict[str, str | Credential] = {}
        wanted: list[str] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry.fresh_until > now:
                values[key] = entry.value
            else:
                wanted.append(check_key(key))
        if wanted:
            values.update(self._fetch_many(wanted, now))
        return {key: values[key] for key in keys}

    def get_all(self) -> dict[str, str | Credential]:
        """Every setting the token may read, by key: one request, never from the cache."""
        response = self._send(bulk_path(None), [], etag=None)
        now = monotonic()
        return {s.key: self._store(s, now).value for s in parse_many(response)}

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- cold path ------------------------------------------------------------------------
    def _refresh(self, key: str) -> str | Credential:
        lock = self._lock_for(check_key(key))
        if not lock.acquire(blocking=False):
            # Another thread is asking the server: use a still-usable value meanwhile.
            entry = self._entries.get(key)
            if entry is not None and monotonic() <= entry.usable_until:
                return entry.value
            lock.acquire()
        try:
            return self._revalidate(key)
        finally:
            lock.release()

    def _revalidate(self, key: str) -> str | Credential:
        entry = self._entries.get(key)
        now = monotonic()
        if entry is not None and entry.fresh_until > now:
            return entry.value  # another thread refreshed it while this one waited
        try:
            response = self._send(setting_path(key), [key], etag=entry.etag if entry else None)
            if response.status == 304 and entry is not None:
                return self._store(RemoteSetting(key, entry.value, entry.etag), now).value
            setting = parse_one(response)
        except Unavailable as error:
            return self._stale(key, entry, now, error)
        if setting.key != key:
            raise ProtocolError(f"keyvault answered with another setting than {key!r}.")
        return self._store(setting, now).value

    def _fetch_many(self, wanted: list[str], now: float) -> dict[str, str | Credential]:
        try:
            settings = parse_many(self._send(bulk_path(wanted), wanted, etag=None))
        except Unavailable as error:
            return {key: self._stale(key, self._entries.get(key), now, error) for key in wanted}
        fetched = {s.key: self._store(s, now).value for s in settings if s.key in wanted}
        missing = [key for key in wanted if key not in fetched]
        if missing:
            for key in missing:
                self._entries.pop(key, None)
            raise NotFound(missing)
        return fetched

    def _send(self, path: str, keys: list[str], etag: str | None) -> Response:
        response = self._transport(path, request_headers(self._config.token, etag))
        if response.status == 304 and etag is None:
            raise ProtocolError("keyvault answered 304 Not Modified to a request without an ETag.")
        try:
            raise_for_status(response, keys, self._config.origin)
        except NotFound:
            for key in keys:
                self._entries.pop(key, None)
            raise
        except (Unauthorized, Forbidden):
            self._entries.clear()  # a revoked token or a refused network reads nothing more
            raise
        return response

    def _store(self, setting: RemoteSetting, now: float) -> _Entry:
        fresh_until = now + self._ttl
        entry = _Entry(setting.value, setting.etag, fresh_until, fresh_until + self._stale_if_error)
        self._entries[setting.key] = entry
        return entry

    def _stale(
        self, key: str, entry: _Entry | None, now: float, error: Unavailable
    ) -> str | Credential:
        """The cached value while it is usable, retried at most every few seconds; else raise."""
        if entry is None or now > entry.usable_until:
            raise error
        retry_at = min(now + RETRY_AFTER_ERROR, entry.usable_until)
        self._entries[key] = _Entry(entry.value, entry.etag, retry_at, entry.usable_until)
        import logging  # here, not at the top: the CLI's start-up time counts

        logging.getLogger("keyvault_client").warning(
            "Using the cached value of %r for up to %.0f s more: %s",
            key,
            entry.usable_until - now,
            error,
        )
        return entry.value

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())
