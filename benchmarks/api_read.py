"""Benchmark 8: GET /api/v1/settings/<key> under gunicorn (2 workers) against the floor, a
minimal token-authenticated Django JSON view in the same server (benchmarks/api_urls.py).

The load generator (api_load.py) runs in this process on 127.0.0.1; the two endpoints take
turns, round by round, so they share the machine's load. The read path includes everything a
real read does: token lookup, rate-limit counter, decryption, coalesced audit.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .api_load import LoadResult, load
from .environment import Environment
from .report import Result, verdict
from .sizes import QUICK, Sizes
from .timing import progress

NAME = "9 API read"
TARGET = 1.5
ROOT = Path(__file__).resolve().parent.parent
API_URL = "/api/v1/settings/openai_api_key"
FLOOR_URL = "/floor/settings/openai_api_key"
SEED = """
import hashlib, json, secrets
from datetime import timedelta
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.models import Setting
call_command("createcachetable")
Setting._base_manager.filter(key="openai_api_key").delete()  # purged, not trashed
Setting.objects.create(key="openai_api_key", value="sk-proj-" + secrets.token_urlsafe(36))
ServiceToken.objects.filter(name__startswith="bench-").delete()
api = services.create_token("bench-api", ["openai_*"]).secret
floor = "kvt_floor_" + secrets.token_urlsafe(32)
ServiceToken(name="bench-floor", scope=["-"], expires_at=timezone.now() + timedelta(days=1),
             token_hash=hashlib.sha256(floor.encode()).hexdigest()).save()
print(json.dumps({"api": api, "floor": floor}))
"""


def run(sizes: Sizes, env: Environment) -> list[Result]:
    databases = ["sqlite", *(["postgres"] if env.postgres else [])]
    return [_run_on(database, sizes, env.directory) for database in databases]


def _run_on(database: str, sizes: Sizes, directory: str) -> Result:
    requests = 150 if sizes == QUICK else 1000
    count = min(sizes.rounds, 5)  # at most 5 x 2 x 10 s per database, even on a busy machine
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.api_settings"}
    server_env["KEYVAULT_BENCH_API_DB"] = database
    tokens = _seed(server_env)
    progress(f"API read on {database}: gunicorn, 2 workers, {requests} requests x {count}")
    with _gunicorn(server_env, Path(directory) / f"gunicorn-{database}.log") as base:
        headers = {name: {"Authorization": f"Bearer {tokens[name]}"} for name in tokens}
        for name, url in (("api", API_URL), ("floor", FLOOR_URL)):
            load(base, url, headers[name], requests=50)  # warm up connections and imports
        rounds = [
            (
                load(base, API_URL, headers["api"], requests, seconds=10),
                load(base, FLOOR_URL, headers["floor"], requests, seconds=10),
            )
            for _ in range(count)
        ]
    return _result(database, rounds)


def _result(database: str, rounds: list[tuple[LoadResult, LoadResult]]) -> Result:
    for api, floor in rounds:
        assert api.statuses == {200} and floor.statuses == {200}, (api.statuses, floor.statuses)
    measured = statistics.median(api.p50 / floor.p50 for api, floor in rounds)
    return Result(
        f"{NAME}: p50 vs a minimal token-authenticated JSON view ({_db_name(database)})",
        f"{measured:.2f}x",
        f"<= {TARGET}x",
        verdict(measured <= TARGET),
        f"keyvault {_summary([a for a, _ in rounds])}; minimal view "
        f"{_summary([f for _, f in rounds])} (gunicorn 2 sync workers, 4 concurrent clients)",
    )


def _summary(results: list[LoadResult]) -> str:
    p50 = statistics.median(r.p50 for r in results) * 1e3
    p99 = statistics.median(r.p99 for r in results) * 1e3
    rps = statistics.median(r.rps for r in results)
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, {rps:,.0f} req/s"


def _db_name(database: str) -> str:
    return "SQLite" if database == "sqlite" else "PostgreSQL"


def _seed(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding the API benchmark failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def _gunicorn(env: dict[str, str], log_path: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "keyvault_site.wsgi", "-w", "2"]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, log_path)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/api/v1/schema/")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not start: {log_path.read_text()[-2000:]}"
                ) from None
            time.sleep(0.2)
