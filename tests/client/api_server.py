"""A stand-in for keyvault's read API (issue 14): a real HTTP server on 127.0.0.1, for tests.

It implements the contract the client relies on and nothing more:

    GET /api/v1/settings/<key>       200 {"key", "value", "version", "provider", "updated_at"},
                                     Cache-Control: no-store, ETag "<version>";
                                     304 without a body for a matching If-None-Match
    GET /api/v1/settings/?keys=a,b   200 {"settings": [...]}: the in-scope subset (all without keys)
    401 + WWW-Authenticate: Bearer for any bad token (one body), 403 from a refused network,
    404 for a missing or out-of-scope key, 429 + Retry-After when rate-limited

Tests change its behaviour (`refuse_network`, `rate_limit`, `fail_with`, `delay`, `stop`) and
read `requests` to see what the client sent.
"""

from __future__ import annotations

import fnmatch
import hmac
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SETTINGS_PATH = "/api/v1/settings/"
UNAUTHORIZED_BODY = b'{"detail": "Invalid or missing token."}'


@dataclass
class StoredSetting:
    value: str
    version: int = 1
    provider: str = "openai"
    updated_at: str = "2025-01-01T00:00:00Z"


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # lower-cased names


@dataclass
class ApiServer:
    """The running stand-in: its URL, the one token it accepts, its settings and scope."""

    token: str
    settings: dict[str, StoredSetting] = field(default_factory=dict)
    scope: tuple[str, ...] = ("*",)
    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    refuse_network: bool = False
    rate_limit: bool = False
    fail_with: int | None = None
    garbage: bytes | None = None  # answer 200 with this body instead, to break the contract
    delay: float = 0.0
    _stop: Any = None

    def put(self, key: str, value: str) -> None:
        """Create or change a setting; a change gets the next version (and so a new ETag)."""
        current = self.settings.get(key)
        version = current.version + 1 if current else 1
        self.settings[key] = StoredSetting(value, version)

    def stop(self) -> None:
        """Stop listening: from now on every connection is refused."""
        self._stop()

    def in_scope(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.scope)

    def document(self, key: str) -> dict[str, Any]:
        stored = self.settings[key]
        return {
            "key": key,
            "value": stored.value,
            "version": stored.version,
            "provider": stored.provider,
            "updated_at": stored.updated_at,
        }

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(RecordedRequest(path, headers))
        if self.delay:
            time.sleep(self.delay)
        if self.fail_with:
            return self.fail_with, {}, b'{"detail": "Server error."}'
        if self.garbage is not None:
            return 200, {}, self.garbage
        if not self._authorized(headers.get("authorization", "")):
            return 401, {"WWW-Authenticate": "Bearer"}, UNAUTHORIZED_BODY
        if self.refuse_network:
            return 403, {}, b'{"detail": "Not allowed from this network."}'
        if self.rate_limit:
            return 429, {"Retry-After": "7"}, b'{"detail": "Too many requests."}'
        parts = urlsplit(path)
        if parts.path == SETTINGS_PATH:
            return self._list(parse_qs(parts.query).get("keys"))
        if parts.path.startswith(SETTINGS_PATH):
            return self._one(unquote(parts.path[len(SETTINGS_PATH) :]), headers)
        return 404, {}, b'{"detail": "Not found."}'

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme == "Bearer" and hmac.compare_digest(token.encode(), self.token.encode())

    def _one(self, key: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if key not in self.settings or not self.in_scope(key):
            return 404, {}, b'{"detail": "Not found."}'
        etag = f'"{self.settings[key].version}"'
        cache = {"Cache-Control": "no-store", "ETag": etag}
        if headers.get("if-none-match") == etag:
            return 304, cache, b""
        return 200, cache, json.dumps(self.document(key)).encode()

    def _list(self, keys: list[str] | None) -> tuple[int, dict[str, str], bytes]:
        wanted = keys[0].split(",") if keys else sorted(self.settings)
        found = [self.document(k) for k in wanted if k in self.settings and self.in_scope(k)]
        body = json.dumps({"settings": found}).encode()
        return 200, {"Cache-Control": "no-store"}, body

    @classmethod
    def running(cls, token: str, **settings: str) -> AbstractContextManager[ApiServer]:
        """Start a server on a free port of 127.0.0.1 holding `settings`; stop it on exit."""
        return cls._serving(token, settings, None)

    @classmethod
    def running_tls(
        cls, token: str, tls: ssl.SSLContext, **settings: str
    ) -> AbstractContextManager[ApiServer]:
        """The same over HTTPS, with `tls` as the server's context (its certificate)."""
        return cls._serving(token, settings, tls)

    @classmethod
    @contextmanager
    def _serving(
        cls, token: str, settings: dict[str, str], tls: ssl.SSLContext | None
    ) -> Iterator[ApiServer]:
        server = cls(token, {key: StoredSetting(value) for key, value in settings.items()})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(server))
        httpd.daemon_threads = True
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        host, port = httpd.server_address[:2]
        server.url = f"{'https' if tls else 'http'}://{host!s}:{port}"
        thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        stopped = threading.Event()

        def stop() -> None:
            if not stopped.is_set():
                stopped.set()
                httpd.shutdown()
                httpd.server_close()
                thread.join()

        server._stop = stop
        try:
            yield server
        finally:
            stop()


def _handler_for(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no pooled socket outlives a stopped server.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.answer(self.path, headers)
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
