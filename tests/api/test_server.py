"""The API under gunicorn with two workers: limits and audit hold across processes.

Runs on an SQLite file in the SQLite pass and on a scratch PostgreSQL database in the
PostgreSQL pass, with the database cache (the default) and with Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import OPENAI_VALUE, REDIS_URL
from tests.conftest import ROOT, run_manage
from tests.deploy.servers import free_port
from tests.support.keys import KEY_ENV

pytestmark = pytest.mark.slow

LIMIT = 25  # per token per hour in these servers
BURST = 70
HTTPS = {"X-Forwarded-Proto": "https"}
SEED = f"""
import json
from settings_app.api import services
from settings_app.models import Setting
Setting.objects.create(key="openai_api_key", value="{OPENAI_VALUE}", provider="openai")
tokens = {{name: services.create_token(name, ["openai_*"]).secret for name in ("busy", "quiet")}}
print(json.dumps(tokens))
"""
COUNT_READS = """
import json
from datetime import timedelta
from django.utils import timezone
from settings_app.audit.coalescing import flush_due
from settings_app.models import AuditEvent
# Close the windows: their repeats (counted in the window rows, or in Redis) become summaries.
flush_due(timezone.now() + timedelta(minutes=2), limit=None)
first = AuditEvent.objects.filter(action="api_read", details__repeats__isnull=True)
summaries = AuditEvent.objects.filter(action="api_read", details__repeats__isnull=False)
print(json.dumps({
    "events": list(first.values_list("actor_label", flat=True)),
    "repeats": sum(e.details["repeats"] for e in summaries),
}))
"""


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the pass's kind, for a server process of its own."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    import psycopg

    name, server = f"kv_api_server_{os.getpid()}", url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["database cache", "redis"])
def server_env(request, scratch_database: str) -> dict[str, str]:
    env = {
        **KEY_ENV,
        "DEBUG": "false",
        "SECRET_KEY": "kv-server-test-" + "Yz8#qL3$wN6!" * 4,
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": scratch_database,
        "KEYVAULT_API_RATE": f"{LIMIT}/h",
    }
    if request.param == "redis":
        env["KEYVAULT_CACHE_URL"] = REDIS_URL
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        done = run_manage(*command, env=env)
        assert done.returncode == 0, done.stderr
    return env


def shell(env: dict[str, str], code: str) -> dict[str, Any]:
    """Run `code` in `manage.py shell`; the JSON it printed last."""
    done = run_manage("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "keyvault_site.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
        ],
        env={"PATH": os.environ["PATH"], "KEYVAULT_ENV_FILE": "", **server_env},
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/api/v1/schema/", headers=HTTPS)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def _burst(base: str, token: str, count: int) -> list[int]:
    headers = {**HTTPS, "Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=16)
    # Generous timeout: the requests queue behind two workers on a shared machine.
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=120
    ) as client:
        requests = [client.get("/api/v1/settings/openai_api_key") for _ in range(count)]
        return [response.status_code for response in await asyncio.gather(*requests)]


def _avoid_window_boundaries() -> None:
    """Start where no window ends soon: a burst straddling two would be counted in both."""
    if 3600 - time.time() % 3600 < 60:  # the rate limit's hour
        time.sleep(61)
    if 60 - time.time() % 60 < 15:  # the audit's minute
        time.sleep(16)


def test_the_rate_limit_and_the_audit_hold_across_two_workers(server, server_env) -> None:
    tokens = shell(server_env, SEED)
    busy, quiet = tokens["busy"], tokens["quiet"]
    _avoid_window_boundaries()
    statuses = Counter(asyncio.run(_burst(server, busy, BURST)))
    assert statuses == {200: LIMIT, 429: BURST - LIMIT}  # exact: no worker counted alone
    assert Counter(asyncio.run(_burst(server, quiet, 5))) == {200: 5}  # per token

    reads = shell(server_env, COUNT_READS)
    assert sorted(reads["events"]) == ["service token busy", "service token quiet"]
    assert reads["repeats"] == (LIMIT - 1) + (5 - 1)  # every allowed read counted once


def test_the_api_is_https_only_in_production(server) -> None:
    plain = httpx.get(f"{server}/api/v1/settings/openai_api_key")
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    secure = httpx.get(f"{server}/api/v1/settings/openai_api_key", headers=HTTPS)
    assert secure.status_code == 401 and "strict-transport-security" in secure.headers
