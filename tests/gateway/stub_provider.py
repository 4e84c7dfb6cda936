"""A stand-in for OpenAI, Anthropic and Gemini on 127.0.0.1, streamed and not, for gateway tests.

Each provider lives under its own prefix (`/openai`, `/anthropic`, `/gemini`). Every request is
recorded (method, raw path, headers, body) so tests can assert exactly what reached the
provider, and the usage each answer reports is fixed, so tests can compare recorded usage.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

OPENAI_USAGE = (11, 7)
ANTHROPIC_USAGE = (13, 5, 2, 9)  # input, cache read, cache creation, final output
GEMINI_USAGE = (17, 4, 3)  # prompt, candidates, thoughts
MODEL = {"openai": "gpt-stub-1", "anthropic": "claude-stub-1", "gemini": "gemini-stub-1"}


@dataclass
class Seen:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StubProvider:
    """The ASGI app; tune `chunks` and `delay` (seconds between streamed chunks) per test."""

    chunks: int = 5
    delay: float = 0.0
    status: int = 200
    hang: float = 0.0  # seconds to wait before answering (timeouts)
    seen: list[Seen] = field(default_factory=list)
    completed: int = 0  # streams sent to their end

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = await _body(receive)
        raw = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            raw += "?" + scope["query_string"].decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], raw, headers, body))
        if self.hang:
            await asyncio.sleep(self.hang)
        request = json.loads(body) if body.startswith(b"{") else {}
        provider = raw.split("/")[1]
        if "stream" in raw or request.get("stream"):
            await self._stream(send, provider, request)
        else:
            await _send_json(send, self.status, _whole(provider, raw))

    async def _stream(self, send: Any, provider: str, request: dict[str, Any]) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for event in _events(provider, request, self.chunks):
            await send({"type": "http.response.body", "body": event, "more_body": True})
            if self.delay:
                await asyncio.sleep(self.delay)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.completed += 1


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


async def _body(receive: Any) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _send_json(send: Any, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _whole(provider: str, raw: str) -> dict[str, Any]:
    if raw.endswith("/v1/models"):  # a listing: no usage to report
        return {"object": "list", "data": [{"id": MODEL[provider], "object": "model"}]}
    if provider == "anthropic":
        i, cr, cc, o = ANTHROPIC_USAGE
        return {
            "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL[provider],
            "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": i, "cache_read_input_tokens": cr,
                      "cache_creation_input_tokens": cc, "output_tokens": o},
        }  # fmt: skip
    if provider == "gemini":
        p, c, t = GEMINI_USAGE
        return {
            "candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}}],
            "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c,
                              "thoughtsTokenCount": t},
            "modelVersion": MODEL[provider],
        }  # fmt: skip
    i, o = OPENAI_USAGE
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": MODEL["openai"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o},
    }  # fmt: skip


def _sse(payload: Any, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(payload)}\n\n".encode()


def _events(provider: str, request: dict[str, Any], chunks: int) -> list[bytes]:
    if provider == "anthropic":
        return _anthropic_events(chunks)
    if provider == "gemini":
        return _gemini_events(chunks)
    return _openai_events(request, chunks)


def _openai_events(request: dict[str, Any], chunks: int) -> list[bytes]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": MODEL["openai"]}  # fmt: skip
    events = [
        _sse({**base, "choices": [{"index": 0, "delta": {"content": f"c{n} "},
                                   "finish_reason": None}]})
        for n in range(chunks)
    ]  # fmt: skip
    if (request.get("stream_options") or {}).get("include_usage"):
        i, o = OPENAI_USAGE
        usage = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
        events.append(_sse({**base, "choices": [], "usage": usage}))
    return [*events, b"data: [DONE]\n\n"]


def _anthropic_events(chunks: int) -> list[bytes]:
    i, cr, cc, o = ANTHROPIC_USAGE
    start = {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL["anthropic"],
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": i, "cache_read_input_tokens": cr,
                  "cache_creation_input_tokens": cc, "output_tokens": 1}}}  # fmt: skip
    events = [
        _sse(start, "message_start"),
        _sse({"type": "content_block_start", "index": 0,
              "content_block": {"type": "text", "text": ""}}, "content_block_start"),
    ]  # fmt: skip
    for n in range(chunks):
        delta = {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": f"c{n} "}}  # fmt: skip
        events.append(_sse(delta, "content_block_delta"))
    events.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    for running in (o // 2, o):  # running totals: the last one is the output
        delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                 "stop_sequence": None}, "usage": {"output_tokens": running}}  # fmt: skip
        events.append(_sse(delta, "message_delta"))
    return [*events, _sse({"type": "message_stop"}, "message_stop")]


def _gemini_events(chunks: int) -> list[bytes]:
    p, c, t = GEMINI_USAGE
    events = []
    for n in range(chunks):
        done = n == chunks - 1
        events.append(_sse({
            "candidates": [{"content": {"parts": [{"text": f"c{n} "}], "role": "model"}}],
            "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c if done else n,
                              "thoughtsTokenCount": t if done else 0},
            "modelVersion": MODEL["gemini"],
        }))  # fmt: skip
    return events
