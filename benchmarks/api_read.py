"""Benchmark 9: GET /api/v1/settings/<key> against the floor, a minimal token-authenticated
Django JSON view in the same server (benchmarks/api_urls.py: the token by hash, one SELECT,
JSON), compared by the workers' CPU time per request.

The server is production's: deploy/serve.sh (gunicorn, 2 `keyvault_site.workers.UvicornWorker`
workers, the ASGI application). The gated row runs on PostgreSQL with Redis
(`KEYVAULT_CACHE_URL`, db 4); a second row, reported only, on SQLite with the default database
cache. The load generator (api_load.py, a fixed 4 concurrent clients) runs in this process on
127.0.0.1, and the two endpoints take turns, round by round. CPU time comes from /proc (the
workers' user + system time), so what else runs on the machine barely moves it; req/s and
p50/p99 latencies are reported beside it. The read path includes everything a real read does:
token lookup, rate-limit counter, decryption, coalesced audit.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .api_load import LoadResult, load
from .drill_server import free_port, wait_until_ready, worker_pids
from .environment import Environment
from .report import Result, skipped, verdict
from .sizes import QUICK, Sizes
from .timing import progress

NAME = "9 API read"
TARGET = 1.3  # CPU per request, at most this many times the floor's
ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "deploy" / "serve.sh"
API_URL = "/api/v1/settings/openai_api_key"
FLOOR_URL = "/floor/settings/openai_api_key"
REDIS_URL = "redis://127.0.0.1:6379/4"
CONCURRENCY = 4
TICKS = os.sysconf("SC_CLK_TCK")
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


@dataclass(frozen=True)
class Round:
    """One endpoint's share of a round: its load, and the workers' CPU seconds meanwhile."""

    load: LoadResult
    cpu: float

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / len(self.load.latencies)


def run(sizes: Sizes, env: Environment) -> list[Result]:
    if env.postgres:
        postgres = _run_on("postgres", "redis", sizes, env.directory)
    else:
        postgres = skipped(f"{NAME}: CPU per request vs minimal view (PostgreSQL, Redis)",
                           env.postgres_note)  # fmt: skip
    return [postgres, _run_on("sqlite", "database", sizes, env.directory)]


def _run_on(database: str, cache: str, sizes: Sizes, directory: str) -> Result:
    requests = 150 if sizes == QUICK else 1000
    count = min(sizes.rounds, 5)  # at most 5 x 2 x 10 s per configuration, even on a busy machine
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.api_settings"}
    server_env.update(KEYVAULT_BENCH_API_DB=database, PYTHON=sys.executable)
    if cache == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        server_env["KEYVAULT_CACHE_URL"] = REDIS_URL
    tokens = _seed(server_env)
    # Only the server writes metrics files (gunicorn's on_starting creates the directory).
    server_env["PROMETHEUS_MULTIPROC_DIR"] = str(Path(directory) / f"metrics-{database}")
    server_env["KEYVAULT_WORKER_READY_DIR"] = str(Path(directory) / f"workers-{database}")
    progress(f"API read on {database} + {cache} cache: serve.sh, 2 uvicorn workers, "
             f"{requests} requests x {count}")  # fmt: skip
    log = Path(directory) / f"gunicorn-{database}.log"
    with _serve(server_env, log) as (base, master):
        headers = {name: {"Authorization": f"Bearer {tokens[name]}"} for name in tokens}
        for name, url in (("api", API_URL), ("floor", FLOOR_URL)):
            load(base, url, headers[name], requests=100, concurrency=CONCURRENCY)  # warm up
        rounds = [
            (
                _measured(master, base, API_URL, headers["api"], requests),
                _measured(master, base, FLOOR_URL, headers["floor"], requests),
            )
            for _ in range(count)
        ]
    return _result(database, cache, rounds)


def _measured(master: int, base: str, url: str, headers: dict[str, str], requests: int) -> Round:
    before = _workers_cpu(master)
    result = load(base, url, headers, requests, seconds=10, concurrency=CONCURRENCY)
    return Round(result, _workers_cpu(master) - before)


def _workers_cpu(master: int) -> float:
    """User + system CPU seconds of the master's workers so far (from /proc/<pid>/stat)."""
    total = 0
    for pid in worker_pids(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def _result(database: str, cache: str, rounds: list[tuple[Round, Round]]) -> Result:
    for api, floor in rounds:
        statuses = (api.load.statuses, floor.load.statuses)
        assert statuses == ({200}, {200}), statuses
    measured = statistics.median(a.cpu_per_request / f.cpu_per_request for a, f in rounds)
    gated = database == "postgres"
    label = "PostgreSQL, Redis" if gated else "SQLite, database cache"
    return Result(
        f"{NAME}: CPU per request vs minimal view ({label})",
        f"{measured:.2f}x",
        f"<= {TARGET}x" if gated else f"{TARGET}x (reported)",
        verdict(measured <= TARGET) if gated else "INFO",
        f"keyvault {_summary([a for a, _ in rounds])}; minimal view "
        f"{_summary([f for _, f in rounds])} (serve.sh: gunicorn, 2 UvicornWorker workers, "
        f"{CONCURRENCY} concurrent clients)",
    )


def _summary(rounds: list[Round]) -> str:
    cpu = statistics.median(r.cpu_per_request for r in rounds) * 1e3
    p50 = statistics.median(r.load.p50 for r in rounds) * 1e3
    p99 = statistics.median(r.load.p99 for r in rounds) * 1e3
    rps = statistics.median(r.load.rps for r in rounds)
    return f"{cpu:.2f} ms CPU/request, {rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def _seed(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding the API benchmark failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def _serve(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, int]]:
    """deploy/serve.sh (it execs gunicorn: the pid is the master's) on a free port."""
    port = free_port()
    command = [str(SERVE), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_ready(base, server, log_path)
            _wait_for_both_workers(base, server.pid)
            yield base, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_for_both_workers(base: str, master: int) -> None:
    """/readyz answered once; a few more requests so that each worker has started."""
    for _ in range(20):
        httpx.get(f"{base}/readyz", timeout=30)
    assert len(worker_pids(master)) == 2
