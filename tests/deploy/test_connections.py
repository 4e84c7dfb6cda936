"""The production server reuses its connections: API reads through deploy/serve.sh (gunicorn,
uvicorn workers, one thread per request) do not open a Redis connection, or a PostgreSQL
session, per request. Before the shared Redis pool every read opened one of each."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import run_manage
from tests.deploy.servers import PRODUCTION_ENV, running_gunicorn, wait_until_ready

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/11"
READS = 40
SEED = """
import json
from settings_app.api import services
from settings_app.models import Setting
Setting.objects.create(key="openai_api_key", value="sk-proj-connections-0123456789abcdef")
print(json.dumps({"token": services.create_token("connections", ["openai_*"]).secret}))
"""
SESSIONS = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"


@pytest.fixture
def server_env(database_url: str) -> dict[str, str]:
    env = {**PRODUCTION_ENV, "DATABASE_URL": database_url, "KEYVAULT_CACHE_URL": REDIS_URL,
           "BEHIND_TLS_PROXY": "true"}  # fmt: skip
    redis.Redis.from_url(REDIS_URL).flushdb()
    done = run_manage("migrate", "--noinput", env=env)
    assert done.returncode == 0, done.stderr
    return env


def test_api_reads_reuse_the_workers_connections(server_env, tmp_path: Path) -> None:
    seeded = run_manage("shell", "-c", SEED, env=server_env)
    assert seeded.returncode == 0, seeded.stderr
    token = json.loads(seeded.stdout.strip().splitlines()[-1])["token"]
    store = redis.Redis.from_url(REDIS_URL)
    env = {**server_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "KEYVAULT_WORKER_READY_DIR": str(tmp_path / "ready")}  # fmt: skip
    with running_gunicorn(env, tmp_path / "gunicorn.log") as address:
        base = f"http://{address}"
        wait_until_ready(base)
        headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for _ in range(4):  # each worker connects once, whichever serves these
                assert client.get("/api/v1/settings/openai_api_key").status_code == 200
            redis_before, sessions_before = _redis_connections(store), _sessions(server_env)
            for _ in range(READS):
                assert client.get("/api/v1/settings/openai_api_key").status_code == 200
        redis_opened = _redis_connections(store) - redis_before
        sessions_after = _sessions(server_env)
    assert redis_opened <= 2, f"{redis_opened} Redis connections for {READS} reads"
    if sessions_before is not None and sessions_after is not None:
        opened = sessions_after - sessions_before
        assert opened <= 2, f"{opened} PostgreSQL sessions for {READS} reads"


def _redis_connections(store: redis.Redis) -> int:
    return int(store.info("stats")["total_connections_received"]) - 1  # less this question's


def _sessions(env: dict[str, str]) -> int | None:
    """Sessions ever opened on the server's PostgreSQL database (None on SQLite)."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(SESSIONS).fetchone()
    assert row is not None
    return int(row[0]) - 1  # less this question's own session
