"""How a request reaches the server: pooled httpx for long-lived processes, http.client for the CLI.

`keyvault run` lives for one request, and importing httpx would cost it more than the request
itself (see the client rows in docs/benchmarks.md), so the CLI speaks through the standard
library; processes that ask many times get a thread-safe, connection-pooling httpx client.
Both trust the same certificates: the system store (SSL_CERT_FILE and SSL_CERT_DIR work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError, Unavailable
from .protocol import Response

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import ssl
    from typing import Protocol

    class Transport(Protocol):
        """Sends one GET to the server at `path` (from the site root), returns its answer."""

        def __call__(self, path: str, headers: Mapping[str, str]) -> Response: ...

        def close(self) -> None: ...


DEFAULT_TIMEOUT = 5.0


def tls_context() -> ssl.SSLContext:
    import ssl

    return ssl.create_default_context()


def _unreachable(origin: str, error: Exception) -> Unavailable:
    reason = str(error) or type(error).__name__
    return Unavailable(f"keyvault at {origin} is unreachable ({reason}): try again later.")


class HttpxTransport:
    """A pooled httpx client: thread-safe, keeps connections open between calls."""

    def __init__(self, url: str, origin: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        try:
            import httpx
        except ImportError:
            raise ConfigurationError(
                "Client() pools connections with httpx, which is not installed: install "
                "keyvault-client[httpx], or pass transport=StdlibTransport."
            ) from None

        self._origin = origin
        self._errors = (httpx.TransportError,)  # timeouts, refused connections, TLS failures
        self._client = httpx.Client(base_url=url, timeout=timeout, verify=tls_context())

    def __call__(self, path: str, headers: Mapping[str, str]) -> Response:
        try:
            answer = self._client.get(path.lstrip("/"), headers=dict(headers))
        except self._errors as error:
            raise _unreachable(self._origin, error) from None
        return Response(answer.status_code, _lower(answer.headers.items()), answer.content)

    def close(self) -> None:
        self._client.close()


class StdlibTransport:
    """One http.client connection per request: cheap to import, for short-lived processes."""

    def __init__(self, url: str, origin: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(url)
        self._origin = origin
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout

    def __call__(self, path: str, headers: Mapping[str, str]) -> Response:
        import http.client

        connection = (
            http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=tls_context()
            )
            if self._https
            else http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        )
        try:
            connection.request("GET", self._prefix + path, headers=dict(headers))
            answer = connection.getresponse()
            return Response(answer.status, _lower(answer.getheaders()), answer.read())
        except (OSError, http.client.HTTPException) as error:
            raise _unreachable(self._origin, error) from None
        finally:
            connection.close()

    def close(self) -> None:
        pass  # nothing stays open between requests


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}
