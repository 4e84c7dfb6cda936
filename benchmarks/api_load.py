"""A small closed-loop load generator: `concurrency` asyncio clients over httpx, each sending the
next request when its last answer arrives, until `requests` are done or `seconds` pass."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class LoadResult:
    latencies: tuple[float, ...]  # seconds, one per answered request
    elapsed: float
    statuses: frozenset[int]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed


async def _load(
    base: str, url: str, headers: dict[str, str], requests: int, seconds: float, concurrency: int
) -> LoadResult:
    latencies: list[float] = []
    statuses: set[int] = set()
    remaining = requests
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - started)
            statuses.add(response.status_code)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(tuple(latencies), elapsed, frozenset(statuses))


def load(
    base: str,
    url: str,
    headers: dict[str, str],
    requests: int,
    seconds: float = 30.0,
    concurrency: int = 4,
) -> LoadResult:
    """Send up to `requests` GETs of `url` (bounded by `seconds`); latencies and throughput."""
    return asyncio.run(_load(base, url, headers, requests, seconds, concurrency))
