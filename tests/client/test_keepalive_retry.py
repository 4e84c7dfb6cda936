"""A kept-alive connection the server closes as a request goes out (a worker stopping in a
rolling reload): the pooled client sends a read again once, on another connection, and never
sends a write twice."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from keyvault_client import Unavailable
from keyvault_client.transports import HttpxTransport

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@dataclass
class ClosingServer:
    """Answers the first request of each connection and keeps it open; closes a connection,
    unanswered, when a second request arrives on it."""

    url: str = ""
    requests: list[tuple[int, str]] = field(default_factory=list)  # (connection, method)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, connection: socket.socket, number: int) -> None:
        with connection:
            for index in range(2):
                method = _read_request(connection)
                if method is None:
                    return
                with self._lock:
                    self.requests.append((number, method))
                if index == 0:
                    connection.sendall(OK)


def _read_request(connection: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
    while len(body) < length:
        body += connection.recv(4096)
    return head.split(b" ", 1)[0].decode()


@pytest.fixture
def closing_server() -> Iterator[ClosingServer]:
    server = ClosingServer()
    listener = socket.create_server(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"

    def accept() -> None:
        number = 0
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            number += 1
            threading.Thread(target=server.serve, args=(connection, number), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress; close() would not
    listener.close()
    thread.join(timeout=30)


def test_a_read_on_a_connection_the_server_closed_is_sent_again(closing_server) -> None:
    transport = HttpxTransport(closing_server.url, closing_server.url)
    try:
        assert transport("/api/v1/settings/a", {}).status == 200
        assert transport("/api/v1/settings/a", {}).status == 200  # closed under it, sent again
    finally:
        transport.close()
    assert closing_server.requests == [(1, "GET"), (1, "GET"), (2, "GET")]


def test_a_write_on_a_connection_the_server_closed_is_not_sent_again(closing_server) -> None:
    transport = HttpxTransport(closing_server.url, closing_server.url)
    try:
        assert transport("/api/v1/settings/a", {}).status == 200
        with pytest.raises(Unavailable, match="unreachable"):
            transport("/api/v1/settings/a", {}, method="PUT", body=b'{"value": "x"}')
    finally:
        transport.close()
    assert closing_server.requests == [(1, "GET"), (1, "PUT")]  # the write went out once
