"""The gateway benchmark's other servers: a stub provider and the minimal proxy it is compared with.

`stub`: answers `POST /openai/v1/chat/completions` with a 1 KB JSON body carrying usage, or,
with `"stream": true`, `chunks` server-sent events `delay` seconds apart (both from the query).
`floor`: a bare ASGI app forwarding every request to KEYVAULT_BENCH_UPSTREAM through one shared
httpx.AsyncClient, streaming the answer back; no authentication, no metering. It is the least
any proxy does, and what keyvault's added cost is measured against.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import parse_qs

import httpx

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": "gpt-bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "x" * 800}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 200, "total_tokens": 212},
    }
).encode()
CHUNK = b'data: {"model": "gpt-bench", "choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n'
USAGE = b'data: {"model": "gpt-bench", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 100}}\n\n'  # noqa: E501


async def _body(receive: Any) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def stub(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await _body(receive)
    query = parse_qs(scope["query_string"].decode())
    if b'"stream": true' not in body and b'"stream":true' not in body:
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": COMPLETION})
        return
    chunks, delay = int(query.get("chunks", ["100"])[0]), float(query.get("delay", ["0.02"])[0])
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for index in range(chunks):
        if index and delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
    if b"include_usage" in body:
        await send({"type": "http.response.body", "body": USAGE, "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


_client: httpx.AsyncClient | None = None
_HOP = {b"host", b"content-length", b"connection", b"transfer-encoding"}


async def floor(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _client
    if scope["type"] != "http":
        return
    if _client is None:
        _client = httpx.AsyncClient(limits=httpx.Limits(max_connections=2000))
    url = os.environ["KEYVAULT_BENCH_UPSTREAM"] + scope["path"]
    if scope["query_string"]:
        url += "?" + scope["query_string"].decode()
    headers = [(k, v) for k, v in scope["headers"] if k not in _HOP]
    request = _client.build_request(
        scope["method"], url, headers=headers, content=await _body(receive)
    )
    response = await _client.send(request, stream=True)
    out = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP]
    await send({"type": "http.response.start", "status": response.status_code, "headers": out})
    async for chunk in response.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await response.aclose()
    await send({"type": "http.response.body", "body": b""})
