"""How a request reaches the server: pooled httpx for long-lived processes, http.client for the CLI.

`keyvault run` lives for one request, and importing httpx would cost it more than the request
itself (see the client rows in docs/benchmarks.md), so the CLI speaks through the standard
library; processes that ask many times get a thread-safe, connection-pooling httpx client.
Both trust the same certificates: KEYVAULT_CA_FILE when it is set (a private CA's PEM file),
otherwise the system store (SSL_CERT_FILE and SSL_CERT_DIR work).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError, KeyvaultError, Unavailable
from .protocol import Response

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import ssl
    import threading
    from typing import Any, Protocol

    class Transport(Protocol):
        """Sends one request to the server at `path` (from the site root), returns its answer."""

        def __call__(
            self,
            path: str,
            headers: Mapping[str, str],
            method: str = "GET",
            body: bytes | None = None,
        ) -> Response: ...

        def close(self) -> None: ...


DEFAULT_TIMEOUT = 5.0
IDEMPOTENT = frozenset({"GET", "HEAD"})  # requests sent again when a connection closes under them


def tls_context() -> ssl.SSLContext:
    """Certificate checks on, trusting KEYVAULT_CA_FILE when set, else the system store."""
    import ssl

    ca_file = os.environ.get("KEYVAULT_CA_FILE", "").strip()
    if not ca_file:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ConfigurationError(
            f"KEYVAULT_CA_FILE is {ca_file!r}, which cannot be read as PEM certificates "
            f"({error.strerror or error}): give the path of the CA certificate that signed "
            "the server's certificate."
        ) from None


def _unreachable(origin: str, error: Exception) -> KeyvaultError:
    if _plain_http_answer(error):
        return ConfigurationError(
            f"KEYVAULT_URL is https://, but the server at {origin} answered in plain HTTP: "
            "use its https:// address (or http:// for a server on this machine)."
        )
    reason = str(error) or type(error).__name__
    if _untrusted_certificate(error):
        return ConfigurationError(
            f"keyvault at {origin} presented a certificate that was not trusted ({reason}): "
            "set KEYVAULT_CA_FILE (or SSL_CERT_FILE) to the CA certificate that signed it."
        )
    return Unavailable(f"keyvault at {origin} is unreachable ({reason}): try again later.")


def _plain_http_answer(error: Exception) -> bool:
    """Whether a TLS handshake failed because the server speaks plain HTTP."""
    reason = str(getattr(error, "reason", "") or error)
    return "WRONG_VERSION_NUMBER" in reason or "record layer failure" in reason


def _too_slow(origin: str, timeout: float) -> Unavailable:
    return Unavailable(
        f"keyvault at {origin} did not answer within {timeout:g} s: try again later."
    )


def _untrusted_certificate(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is a failed certificate check."""
    import ssl

    seen = 0
    while error is not None and seen < 10:  # httpx wraps httpcore, which wraps ssl
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


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
        # A kept-alive connection the server closed as the request went out (a worker stopping
        # in a reload): httpx does not send the request again.
        self._closed_under_it = (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)
        self._client = httpx.Client(base_url=url, timeout=timeout, verify=tls_context())

    def __call__(
        self, path: str, headers: Mapping[str, str], method: str = "GET", body: bytes | None = None
    ) -> Response:
        try:
            answer = self._send(path, headers, method, body)
        except self._closed_under_it as error:
            if method not in IDEMPOTENT:
                raise _unreachable(self._origin, error) from None
            answer = self._send_again(path, headers, method, body)
        except self._errors as error:
            raise _unreachable(self._origin, error) from None
        return Response(answer.status_code, _lower(answer.headers.items()), answer.content)

    def _send(self, path: str, headers: Mapping[str, str], method: str, body: bytes | None) -> Any:
        return self._client.request(method, path.lstrip("/"), headers=dict(headers), content=body)

    def _send_again(
        self, path: str, headers: Mapping[str, str], method: str, body: bytes | None
    ) -> Any:
        """Once more (RFC 9110 9.2.2: a read may be repeated), on another connection: httpx
        dropped the one that failed."""
        try:
            return self._send(path, headers, method, body)
        except self._errors as error:
            raise _unreachable(self._origin, error) from None

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

    def __call__(
        self, path: str, headers: Mapping[str, str], method: str = "GET", body: bytes | None = None
    ) -> Response:
        """One request; its whole answer within the timeout (a deadline, not a limit per read)."""
        import http.client
        import threading

        connection, target = self._connect(http.client, self._prefix + path)
        # A server trickling a byte at a time never trips a per-read timeout: when the deadline
        # passes, the socket is shut, and the read in progress ends.
        expired = threading.Event()
        deadline = threading.Timer(self._timeout, _shut, (connection, expired))
        deadline.start()
        try:
            connection.request(method, target, body=body, headers=dict(headers))
            answer = connection.getresponse()
            response = Response(answer.status, _lower(answer.getheaders()), answer.read())
        except (OSError, http.client.HTTPException) as error:
            if expired.is_set():
                raise _too_slow(self._origin, self._timeout) from None
            raise _unreachable(self._origin, error) from None
        finally:
            deadline.cancel()
            connection.close()
        if expired.is_set():  # the answer was cut short at the deadline
            raise _too_slow(self._origin, self._timeout)
        return response

    def close(self) -> None:
        pass  # nothing stays open between requests

    def _connect(self, client: Any, path: str) -> tuple[Any, str]:
        connection, target = self._connection(client, path)
        connection._create_connection = _create_connection
        return connection, target

    def _connection(self, client: Any, path: str) -> tuple[Any, str]:
        """A connection to the server, or through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY
        exempts it; and the request target (an absolute URL for a plain-HTTP proxy)."""
        proxy = _proxy_for(self._https, self._host)
        if self._https:
            host, port = proxy or (self._host, self._port)
            connection = client.HTTPSConnection(
                host, port, timeout=self._timeout, context=tls_context()
            )
            if proxy:
                connection.set_tunnel(self._host, self._port)
            return connection, path
        if proxy:
            host, port = proxy
            origin = f"http://{self._host}" + (f":{self._port}" if self._port else "")
            return client.HTTPConnection(host, port, timeout=self._timeout), origin + path
        return client.HTTPConnection(self._host, self._port, timeout=self._timeout), path


def _proxy_for(https: bool, host: str) -> tuple[str, int | None] | None:
    """(host, port) of the proxy the environment names for this request, or None."""
    names = ("https_proxy", "HTTPS_PROXY") if https else ("http_proxy", "HTTP_PROXY")
    if not any(os.environ.get(name) for name in names):
        return None  # the common case costs no import
    import urllib.request  # the standard library's reading of *_PROXY and NO_PROXY

    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https" if https else "http")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    return parts.hostname or "", parts.port


def _create_connection(
    address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None = None
) -> Any:
    """socket.create_connection, with an ASCII host name as bytes: given text, getaddrinfo
    encodes it with the idna codec, whose import costs `keyvault run` 3% of its start-up."""
    import socket

    host, port = address
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    return socket.create_connection((name, port), timeout, source_address)  # type: ignore[arg-type]


def _shut(connection: Any, expired: threading.Event) -> None:
    import socket

    expired.set()
    if connection.sock is not None:
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_RDWR)


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}
