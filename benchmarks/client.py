"""Benchmarks 9b and 9c: the keyvault client's warm `get`, and what `keyvault run` adds to a start.

Both talk to the stand-in API server the client tests use (tests/client/api_server.py), a real
HTTP server on 127.0.0.1, until the real read API is in main.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from keyvault_client import Client
from keyvault_client.protocol import SETTINGS_PATH, request_headers
from keyvault_client.transports import StdlibTransport
from settings_app.api import tokens
from tests.client.api_server import ApiServer

from .report import Result, verdict
from .sizes import Sizes
from .timing import Sample, alternate_timeit, progress, ratio, time_once
from .values import api_keys

WARM_GET_TARGET_US = 5.0
RUN_TARGET = 1.15  # against the real floor: importing http.client and one round trip
KEY = "openai_api_key"


def run(sizes: Sizes) -> list[Result]:
    token = tokens.generate()  # with its checksum: the client checks it before any request
    with ApiServer.running(token, **{KEY: api_keys(1, seed=41)[0]}) as server:
        return [_warm_get(server, sizes), _run_true(server, sizes)]


def _warm_get(server: ApiServer, sizes: Sizes) -> Result:
    progress(f"client: warm get, {sizes.rounds} rounds x {sizes.crypto_calls:,} calls")
    table = {KEY: "value"}
    with Client(server.url, server.token, cache_seconds=3600) as client:
        client.get(KEY)
        samples = alternate_timeit(
            {"dict": lambda: table.get(KEY), "client": lambda: client.get(KEY)},
            sizes.rounds,
            sizes.crypto_calls,
        )
    warm, floor = samples["client"], samples["dict"]
    return Result(
        "9b keyvault_client `Client.get`, warm cache",
        f"{warm.median * 1e6:.2f} µs",
        f"<= {WARM_GET_TARGET_US:g} µs",
        verdict(warm.median * 1e6 <= WARM_GET_TARGET_US),
        f"{warm.spread(1e6, 'µs')}; a bare dict.get {floor.spread(1e6, 'µs')}",
    )


def _run_true(server: ApiServer, sizes: Sizes) -> Result:
    launches = sizes.rounds * 2
    progress(f"client: keyvault run -- true, {launches} launches")
    env = {"PATH": os.environ.get("PATH", ""), "KEYVAULT_URL": server.url}
    env["KEYVAULT_TOKEN"] = server.token
    keyvault = _keyvault_command()
    trip = _round_trip(server, launches * 5)
    python, http_client, wrapped = [], [], []
    for _ in range(launches):
        python.append(time_once(_launch([sys.executable, "-c", "pass"], env)))
        http_client.append(time_once(_launch([sys.executable, "-c", "import http.client"], env)))
        wrapped.append(time_once(_launch([*keyvault, "run", "--", "true"], env)))
    # The floor a keyvault run cannot go under: Python, http.client, and the request itself.
    floors = [h + trip.median for h in http_client]
    measured = Sample(tuple(w / f for w, f in zip(wrapped, floors, strict=True)))
    bare, importing = Sample(tuple(python)), Sample(tuple(http_client))
    return Result(
        "9c `keyvault run -- true` vs `python -c 'import http.client'` + one API round trip",
        f"{measured.median:.2f}x",
        f"<= {RUN_TARGET}x",
        verdict(measured.median <= RUN_TARGET),
        f"keyvault run {Sample(tuple(wrapped)).spread(1e3, 'ms')}; python -c pass "
        f"{bare.spread(1e3, 'ms')}; python -c 'import http.client' "
        f"{importing.spread(1e3, 'ms')}; round trip {trip.spread(1e3, 'ms')} (a new connection "
        f"each, stand-in server); `python -c 'import http.client'` alone is "
        f"{ratio(importing, bare):.2f}x python -c pass; command: {Path(keyvault[0]).name}",
    )


def _keyvault_command() -> list[str]:
    """The installed console script, as users run it (or `python -m` if it is missing)."""
    script = Path(sys.executable).parent / "keyvault"
    return [str(script)] if script.exists() else [sys.executable, "-m", "keyvault_client"]


def _launch(argv: list[str], env: dict[str, str]) -> Callable[[], object]:
    return lambda: subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)


def _round_trip(server: ApiServer, count: int) -> Sample:
    """One request as the CLI makes it (a new connection each time), timed in this process."""
    transport = StdlibTransport(server.url, server.url)
    headers = request_headers(server.token)
    return Sample(tuple(time_once(lambda: transport(SETTINGS_PATH, headers)) for _ in range(count)))
