"""Two processes sharing a database: a change saved in one is read by the other within ~1 s.

The reader caches values for 300 s, so only the change stamp in the shared cache (the database
cache, or Redis) can explain it seeing the change; with a cache it does not share (locmem) it
keeps the old value, which shows the test can tell the difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_manage
from tests.support.keys import sqlite_env

pytestmark = pytest.mark.slow

KEY = "openai_api_key"
OLD, NEW = "sk-proj-xproc-old-0123456789abcdef", "sk-proj-xproc-new-fedcba9876543210"
REDIS_URL = "redis://127.0.0.1:6379/6"

READER = f"""
import sys
from settings_app.models import Setting
for line in sys.stdin:
    print(Setting.objects.get_value({KEY!r}), flush=True)
"""
CHANGE = f"""
from settings_app.models import Setting
setting = Setting.objects.get(key={KEY!r})
setting.value = {NEW!r}
setting.save()
"""


class Reader:
    """A long-lived Django process that answers get_value(KEY) for each line it is sent."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", READER],
            env={"PATH": os.environ.get("PATH", ""), "KEYVAULT_ENV_FILE": "", **env},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("get\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def seconds_until(self, expected: str, limit: float) -> float | None:
        """How long until the reader returns `expected`, polling; None if not within `limit`."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.read() == expected:
                return time.monotonic() - started
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        self.process.communicate(timeout=30)


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite file with its cache table and one setting, as two processes see it."""
    env = {**sqlite_env(tmp_path / "shared.sqlite3"), "KEYVAULT_VALUE_CACHE_SECONDS": "300"}
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        done = run_manage(*command, env=env)
        assert done.returncode == 0, done.stderr
    seed = "from settings_app.models import Setting\n" + (
        f"Setting.objects.create(key={KEY!r}, value={OLD!r})"
    )
    assert run_manage("shell", "-c", seed, env=env).returncode == 0
    return env


def change_in_another_process(env: dict[str, str]) -> None:
    done = run_manage("shell", "-c", CHANGE, env=env)
    assert done.returncode == 0, done.stderr


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.parametrize("shared_cache", ["database", "redis"])
def test_a_change_reaches_the_other_process_within_about_a_second(
    database: dict[str, str], shared_cache: str
) -> None:
    env = dict(database)
    if shared_cache == "redis":
        if not redis_reachable():
            pytest.skip(f"Redis is not running at {REDIS_URL}")
        import redis

        redis.Redis.from_url(REDIS_URL).delete(":1:keyvault:value-cache:stamp")
        env["KEYVAULT_CACHE_URL"] = REDIS_URL
    reader = Reader(env)
    try:
        assert reader.read() == OLD
        change_in_another_process(env)
        waited = reader.seconds_until(NEW, limit=10)
    finally:
        reader.stop()
    assert waited is not None, "the reader never saw the change"
    assert waited < 3  # the stamp is re-read once a second; the rest is a loaded machine's slack


def test_without_a_shared_cache_the_other_process_keeps_its_cached_value(
    database: dict[str, str],
) -> None:
    env = {**database, "KEYVAULT_CACHE_URL": "locmemcache://"}
    reader = Reader(env)
    try:
        assert reader.read() == OLD
        change_in_another_process(env)
        assert reader.seconds_until(NEW, limit=2.5) is None
    finally:
        reader.stop()
