"""Relaying an Exchange's answer to the caller chunk by chunk, as each chunk arrives.

The relay waits on the Exchange through `asyncio.shield`, so the server cancelling this request
(a disconnect) never cancels the upstream read. A watcher notices a disconnect while the relay
waits for the next chunk and detaches the Exchange, which reads on to its usage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from settings_app import metrics

from . import answers, forwarding
from .upstream import END, Exchange, Failure

Receive = Callable[[], Awaitable[dict[str, Any]]]


async def relay(exchange: Exchange, receive: Receive, send: answers.Send, kv_ms: float) -> None:
    metrics.record_gateway_added(exchange.provider, kv_ms / 1000)
    watcher = asyncio.get_running_loop().create_task(_watch_disconnect(exchange, receive))
    try:
        head = await asyncio.shield(exchange.head)
        if isinstance(head, Failure):
            return await answers.send_error(send, head.status, head.message, _timing(kv_ms))
        await send(_start_message(head, exchange, kv_ms))
        await _relay_body(exchange, send)
    except asyncio.CancelledError:
        exchange.detach()  # the caller is gone: the Exchange reads on to the usage
        raise
    except OSError:  # uvicorn's ClientDisconnected: the same, seen on a send
        exchange.detach()
    finally:
        watcher.cancel()


async def _relay_body(exchange: Exchange, send: answers.Send) -> None:
    while True:
        chunk = await exchange.chunks.get()
        if chunk == END:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    if not exchange.detached:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _start_message(response: httpx.Response, exchange: Exchange, kv_ms: float) -> dict[str, Any]:
    headers = forwarding.returned_headers(response.headers.raw, rewritten=exchange.meter.rewrites())
    headers += [(b"x-accel-buffering", b"no"), *_timing(kv_ms)]
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


def _timing(kv_ms: float) -> list[tuple[bytes, bytes]]:
    """keyvault's own time before the upstream call, for Server-Timing."""
    return [(b"server-timing", f"kv;dur={kv_ms:.2f}".encode())]


async def _watch_disconnect(exchange: Exchange, receive: Receive) -> None:
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass
        exchange.detach()
