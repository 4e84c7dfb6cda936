"""The upstream call: one shared httpx.AsyncClient per process, and an Exchange per request.

An Exchange sends the request and reads the whole answer in a task of its own, started in a
fresh `contextvars.Context` and awaited through `asyncio.shield`. So a caller who disconnects,
before or during the answer, cancels only the relay: the Exchange keeps reading the provider's
answer to its final usage event (bounded by the read timeout) and records it. A cancelled httpx
read could not be resumed, and a task inheriting the request's context would lose its thread
executor when the request ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import httpx
from django.conf import settings

from settings_app import metrics

from .metering import Meter
from .usage import Usage

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
END = b""  # the queue's end-of-body marker (a real chunk is never empty)

_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def shared_client() -> httpx.AsyncClient:
    """This event loop's client: connections to each provider are kept alive between calls."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
        client = httpx.AsyncClient(limits=limits, follow_redirects=False, trust_env=False)
        _clients[loop] = client
    return client


async def close_clients() -> None:
    """Close this loop's client (at server shutdown)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def timeout() -> httpx.Timeout:
    read = float(getattr(settings, "KEYVAULT_GATEWAY_READ_TIMEOUT", 600.0))
    return httpx.Timeout(connect=CONNECT_TIMEOUT, read=read, write=read, pool=CONNECT_TIMEOUT)


@dataclass(frozen=True)
class Failure:
    """Why there is no upstream answer: 502 (unreachable) or 504 (timed out)."""

    status: int
    message: str


class Exchange:
    """One upstream request and its answer, read to the end whatever the caller does."""

    def __init__(
        self,
        request: httpx.Request,
        meter: Meter,
        finished: Callable[[Usage], None],
        provider: str,
    ) -> None:
        self.request = request
        self.provider = provider  # the registry's slug: the metrics' only label for it
        self.meter = meter
        self.finished = finished
        loop = asyncio.get_running_loop()
        self.head: asyncio.Future[httpx.Response | Failure] = loop.create_future()
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.detached = False  # the caller went away: read on, relay nothing
        self.task = loop.create_task(self._run(), context=contextvars.Context())

    def detach(self) -> None:
        self.detached = True
        self.chunks.put_nowait(END)

    async def _run(self) -> None:
        started = perf_counter()
        try:
            response = await shared_client().send(self.request, stream=True)
        except httpx.HTTPError as error:
            return self._fail(_failure(error, self.request.url.host), started)
        except Exception as error:  # anything else must still answer the caller
            # Only the type: a message may quote the request's headers, the provider key among them.
            logger.error("The gateway's upstream call failed: %s", type(error).__name__)
            host = self.request.url.host
            return self._fail(Failure(502, f"The provider at {host} could not be called."), started)
        metrics.record_gateway_request(self.provider, response.status_code)
        self.meter.start(response.headers)
        self.head.set_result(response)
        try:
            await self._read(response)
        finally:
            self.chunks.put_nowait(END)
            metrics.record_gateway_upstream(self.provider, perf_counter() - started)

    def _fail(self, failure: Failure, started: float) -> None:
        metrics.record_gateway_request(self.provider, failure.status)
        metrics.record_gateway_upstream(self.provider, perf_counter() - started)
        self.head.set_result(failure)
        self.chunks.put_nowait(END)

    async def _read(self, response: httpx.Response) -> None:
        try:
            async for chunk in response.aiter_raw():
                self._relay(self.meter.feed(chunk))
        except httpx.HTTPError:
            pass  # a cut-off answer: the usage read so far is still recorded
        finally:
            await response.aclose()
            rest, usage = self.meter.finish()
            self._relay(rest)
            self.finished(usage)
            metrics.record_gateway_usage(
                self.provider, usage.input_tokens, usage.output_tokens, usage.metered
            )

    def _relay(self, data: bytes) -> None:
        if data and not self.detached:
            self.chunks.put_nowait(data)


def _failure(error: httpx.HTTPError, host: str | None) -> Failure:
    if isinstance(error, httpx.TimeoutException):
        return Failure(504, f"The provider at {host} did not answer in time.")
    return Failure(502, f"The provider at {host} could not be reached.")
