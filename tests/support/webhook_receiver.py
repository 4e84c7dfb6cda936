"""A test server standing in for Slack (or anything Slack-compatible) on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .standin_server import Reply, Seen, serving

Received = Seen  # one POST the receiver got: path, headers (lower-cased names), raw body


@dataclass
class WebhookReceiver:
    url: str = ""
    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def handle(self, seen: Seen) -> Reply:
        time.sleep(self.delay)  # a slow receiver keeps the sender's claim open
        self.received.append(seen)
        redirect = (("Location", "http://127.0.0.1:9/elsewhere"),)
        headers = redirect if 300 <= self.status < 400 else ()
        return Reply(self.status, b"ok", headers, content_type=None)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[WebhookReceiver]:
        receiver = cls()
        with serving(receiver.handle) as url:
            receiver.url = f"{url}/services/T000/B000/hook-path-secret"
            yield receiver
