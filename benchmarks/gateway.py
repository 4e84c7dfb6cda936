"""Benchmark 10: the gateway against a direct call and a minimal ASGI proxy, in the same run.

Three uvicorn processes on 127.0.0.1 (one worker each): a stub provider, the minimal proxy
(gateway_apps.floor: one shared httpx.AsyncClient, no authentication) and keyvault
(keyvault_site.asgi). Added latency is each proxy's p50 minus the direct call's, measured in
interleaved rounds; CPU per request is the proxy process's own CPU time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx

from .environment import Environment
from .gateway_servers import Server, seed, uvicorn
from .report import Result, verdict
from .sizes import QUICK, Sizes
from .timing import progress

NAME = "10 Gateway"
CHAT = "/openai/v1/chat/completions"
GATEWAY_CHAT = "/gateway/openai_api_key/v1/chat/completions"
BODY = {"model": "gpt-bench", "messages": [{"role": "user", "content": "x" * 900}]}
STREAM = {**BODY, "stream": True}
LATENCY_TARGET, CPU_TARGET, TTFB_TARGET_MS = 1.5, 2.0, 3.0


def run(sizes: Sizes, env: Environment) -> list[Result]:
    quick = sizes == QUICK
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.api_settings"}
    server_env["KEYVAULT_BENCH_API_DB"] = "sqlite"
    token = seed(server_env)
    logs = Path(env.directory)
    with uvicorn("benchmarks.gateway_apps:stub", server_env, logs / "stub.log") as stub:
        server_env["KEYVAULT_OPENAI_BASE_URL"] = stub.base + "/openai"
        floor_env = {**server_env, "KEYVAULT_BENCH_UPSTREAM": stub.base}
        with (
            uvicorn("benchmarks.gateway_apps:floor", floor_env, logs / "floor.log") as floor,
            uvicorn("keyvault_site.asgi:application", server_env, logs / "kv.log") as keyvault,
        ):
            targets = {
                "direct": (stub.base + CHAT, {}),
                "floor": (floor.base + CHAT, {}),
                "keyvault": (keyvault.base + GATEWAY_CHAT, {"authorization": f"Bearer {token}"}),
            }
            progress("gateway: added latency, CPU per request, streams")
            return [
                _latency(targets, sizes.rounds, 30 if quick else 150),
                _cpu(targets, floor, keyvault, 200 if quick else 2000),
                *_streams(targets, 20 if quick else 100),
                _open_streams(targets, keyvault, token, 50 if quick else 500),
            ]


def _latency(targets: dict[str, tuple[str, dict[str, str]]], rounds: int, n: int) -> Result:
    samples: dict[str, list[float]] = {name: [] for name in targets}
    own: list[float] = []  # keyvault's Server-Timing: its time before the upstream call
    clients = {name: httpx.Client(headers=headers) for name, (_, headers) in targets.items()}
    for name, (url, _) in targets.items():
        for _ in range(20):  # warm: connections, caches
            clients[name].post(url, json=BODY).raise_for_status()
    for _ in range(rounds):
        for name, (url, _) in targets.items():
            for _ in range(n):
                started = time.perf_counter()
                answer = clients[name].post(url, json=BODY).raise_for_status()
                samples[name].append(time.perf_counter() - started)
                if name == "keyvault":
                    own.append(float(answer.headers["server-timing"].partition("dur=")[2]))
    p50 = {name: statistics.median(values) * 1e3 for name, values in samples.items()}
    p99 = {name: _p99(values) * 1e3 for name, values in samples.items()}
    added = {name: p50[name] - p50["direct"] for name in ("floor", "keyvault")}
    ratio = added["keyvault"] / max(added["floor"], 1e-6)
    return Result(
        f"{NAME}: added p50, non-streamed 1 KB, vs a minimal ASGI proxy",
        f"{ratio:.2f}x",
        f"<= {LATENCY_TARGET}x",
        verdict(ratio <= LATENCY_TARGET),
        f"added p50 keyvault +{added['keyvault']:.2f} ms, minimal proxy +{added['floor']:.2f} ms; "
        f"added p99 keyvault +{p99['keyvault'] - p99['direct']:.2f} ms, minimal proxy "
        f"+{p99['floor'] - p99['direct']:.2f} ms (direct p50 {p50['direct']:.2f} ms); "
        f"keyvault's own time before the upstream call (Server-Timing) p50 "
        f"{statistics.median(own):.2f} ms",
    )


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _cpu(
    targets: dict[str, tuple[str, dict[str, str]]], floor: Server, keyvault: Server, n: int
) -> Result:
    per_request, rates = {}, {}
    for name, server in (("floor", floor), ("keyvault", keyvault)):
        url, headers = targets[name]
        before = server.cpu_seconds()
        elapsed = asyncio.run(_concurrent(url, headers, n, concurrency=16))
        per_request[name] = (server.cpu_seconds() - before) / n * 1e3
        rates[name] = n / elapsed
    ratio = per_request["keyvault"] / max(per_request["floor"], 1e-6)
    return Result(
        f"{NAME}: server CPU per request, 16 concurrent clients",
        f"{ratio:.2f}x",
        f"<= {CPU_TARGET}x",
        verdict(ratio <= CPU_TARGET),
        f"keyvault {per_request['keyvault']:.2f} ms ({rates['keyvault']:,.0f} req/s), minimal "
        f"proxy {per_request['floor']:.2f} ms ({rates['floor']:,.0f} req/s)",
    )


async def _concurrent(url: str, headers: dict[str, str], n: int, concurrency: int) -> float:
    remaining = n
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:

        async def loop() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                (await client.post(url, json=BODY)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return time.perf_counter() - started


def _streams(targets: dict[str, tuple[str, dict[str, str]]], n: int) -> list[Result]:
    ttfb: dict[str, list[float]] = {"direct": [], "floor": [], "keyvault": []}
    clients = {name: httpx.Client(headers=targets[name][1]) for name in ttfb}
    for _ in range(n):
        for name in ttfb:
            url = targets[name][0] + "?chunks=1&delay=0"
            started = time.perf_counter()
            with clients[name].stream("POST", url, json=STREAM) as answer:
                chunks = answer.iter_raw()
                next(chunks)
                ttfb[name].append(time.perf_counter() - started)
                for _ in chunks:
                    pass
    median = {name: statistics.median(values) * 1e3 for name, values in ttfb.items()}
    added = median["keyvault"] - median["direct"]
    url = targets["keyvault"][0]
    with clients["keyvault"].stream("POST", url + "?chunks=100&delay=0.02", json=STREAM) as answer:
        events = [chunk for chunk in answer.iter_raw() if chunk.startswith(b"data: {")]
    return [
        Result(
            f"{NAME}: stream time to first byte, added p50",
            f"+{added:.2f} ms",
            f"<= {TTFB_TARGET_MS} ms",
            verdict(added <= TTFB_TARGET_MS),
            f"{n} streams each, interleaved; the minimal proxy adds "
            f"+{median['floor'] - median['direct']:.2f} ms (direct {median['direct']:.2f} ms)",
        ),
        Result(
            f"{NAME}: a stream of 100 chunks 20 ms apart",
            f"{len(events)} chunks",
            "100 chunks",
            verdict(len(events) == 100),
            "each event relayed as it arrives (the usage-only chunk keyvault asked for removed)",
        ),
    ]


def _open_streams(
    targets: dict[str, tuple[str, dict[str, str]]], keyvault: Server, token: str, count: int
) -> Result:
    read_url = keyvault.base + "/api/v1/settings/openai_api_key"
    headers = {"authorization": f"Bearer {token}"}
    quiet = _read_latencies(read_url, headers, 100)
    before = keyvault.rss_mb()
    during, rss, statuses = asyncio.run(_with_open_streams(targets, keyvault, count, read_url))
    answered = statuses == {200}
    return Result(
        f"{NAME}: {count} open streams on one worker",
        f"RSS +{rss - before:.1f} MB; read API p99 {_p99(during) * 1e3:.1f} ms",
        "admin and API keep answering",
        verdict(answered),
        f"read API p99 {_p99(quiet) * 1e3:.1f} ms without streams; RSS {before:.0f} MB before",
    )


def _read_latencies(url: str, headers: dict[str, str], n: int) -> list[float]:
    samples = []
    with httpx.Client(headers=headers) as client:
        for _ in range(n):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            samples.append(time.perf_counter() - started)
    return samples


async def _with_open_streams(
    targets: dict[str, tuple[str, dict[str, str]]], keyvault: Server, count: int, read_url: str
) -> tuple[list[float], float, set[int]]:
    url, headers = targets["keyvault"]
    opened = asyncio.Event()
    started_streams = 0
    limits = httpx.Limits(max_connections=count + 10)

    async def hold(client: httpx.AsyncClient) -> None:
        nonlocal started_streams
        async with client.stream("POST", url + "?chunks=40&delay=0.5", json=STREAM) as answer:
            chunks = answer.aiter_raw()
            await anext(chunks)
            started_streams += 1
            if started_streams == count:
                opened.set()
            async for _ in chunks:
                pass

    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120) as client:
        streams = [asyncio.create_task(hold(client)) for _ in range(count)]
        await asyncio.wait_for(opened.wait(), timeout=120)
        rss = keyvault.rss_mb()
        reads, statuses = await _timed_reads(client, read_url, headers, 100)
        await asyncio.gather(*streams)
    return reads, rss, statuses


async def _timed_reads(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], n: int
) -> tuple[list[float], set[int]]:
    samples, statuses = [], set()
    for _ in range(n):
        started = time.perf_counter()
        answer = await client.get(url, headers=headers)
        samples.append(time.perf_counter() - started)
        statuses.add(answer.status_code)
    return samples, statuses
