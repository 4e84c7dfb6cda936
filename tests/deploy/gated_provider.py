"""A provider whose stream sends each chunk only once the test has read the one before.

A chunk the caller has read before the next one was even sent cannot have been buffered or
coalesced on the way: the order of `events` proves it, with no timing guess. A gate that stays
shut past its deadline is logged as such and the stream goes on, so a buffering proxy ends in
a failed assertion on that order, not in a hang.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

GATE_DEADLINE = 30.0  # seconds a chunk waits for the previous one to be read; a deadline only
USAGE = {"prompt_tokens": 21, "completion_tokens": 8, "total_tokens": 29}
BASE = {"id": "chatcmpl-gated", "object": "chat.completion.chunk", "model": "gpt-gated"}


def event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


class GatedProvider:
    """The ASGI app: `chunks` events, chunk n sent once `released[n]` is set (n >= 1)."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.released = [threading.Event() for _ in range(chunks + 1)]  # the last: the end
        self.events: list[str] = []  # "sent 0", "read 0", "sent 1", ... as they happened
        self._waited_out = False

    def read(self, n: int) -> None:
        """The caller read chunk `n`: note it, and let the next one go."""
        self.events.append(f"read {n}")
        self.released[n + 1].set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return  # served with lifespan off
        request = json.loads(await _body(receive))
        if not request.get("stream"):
            payload = {"id": "chatcmpl-whole", "model": "gpt-gated", "choices": [], "usage": USAGE}
            return await _answer(send, b"application/json", json.dumps(payload).encode())
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for n in range(self.chunks):
            await self._gate(n)
            self.events.append(f"sent {n}")
            delta = {"index": 0, "delta": {"content": f"c{n}"}, "finish_reason": None}
            await _more(send, event({**BASE, "choices": [delta]}))
        await self._gate(self.chunks)
        usage = event({**BASE, "choices": [], "usage": USAGE}) if _asked_usage(request) else b""
        await send({"type": "http.response.body", "body": usage + b"data: [DONE]\n\n"})

    async def _gate(self, n: int) -> None:
        if n == 0 or self._waited_out:
            return
        opened = await asyncio.to_thread(self.released[n].wait, GATE_DEADLINE)
        if not opened:
            self.events.append(f"chunk {n - 1} never read")
            self._waited_out = True


def _asked_usage(request: dict[str, Any]) -> bool:
    return bool((request.get("stream_options") or {}).get("include_usage"))


async def _more(send: Any, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _answer(send: Any, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _body(receive: Any) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)
