"""The one HTTP server behind every stand-in in the tests: a thread on 127.0.0.1 running a
function from the request it got (`Seen`) to the answer to send (`Reply`).

The provider stand-ins (`provider_server.py`, `cloud_standins.py`) and the webhook receiver
(`webhook_receiver.py`) are such functions. A reply's body may be a list of chunks, written and
flushed one by one with `pause` seconds between them: a stream. Connections are HTTP/1.0 (one
request each, the close ends a streamed body), so no pooled socket outlives a test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    """A request as received: method, path as sent (encoding and query kept), lower-cased
    header names, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(default=b"", repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: a whole body (with Content-Length) or chunks streamed one by one."""

    status: int = 200
    body: bytes | Sequence[bytes] = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = "application/json"
    pause: float = 0.0  # seconds between streamed chunks

    @classmethod
    def json(cls, payload: Any, status: int = 200, **options: Any) -> Reply:
        return cls(status, json.dumps(payload).encode(), **options)


Handle = Callable[[Seen], Reply]


@contextmanager
def serving(handle: Handle) -> Iterator[str]:
    """Serve `handle` on a free port of 127.0.0.1 until the block ends; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(handle))
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    # A short poll interval so shutdown() returns quickly at the end of each test.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://{host!s}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _handler_for(handle: Handle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = handle(Seen(self.command, self.path, headers, body))
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            if isinstance(reply.body, bytes):
                self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self._write(reply)

        def _write(self, reply: Reply) -> None:
            chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
            for n, chunk in enumerate(chunks):
                if n and reply.pause:
                    time.sleep(reply.pause)
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except OSError:  # the client went away mid-stream
                    return

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean (the default writes every request line to stderr)

    return Handler
