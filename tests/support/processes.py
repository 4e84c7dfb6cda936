"""Django code in several processes at once, against the database the test uses.

Production runs several gunicorn workers, each with its own database connection, so races are
tested the same way: `run_together()` starts N `manage.py shell -c CODE` processes, waits until
each has set up and called `start_line()`, then releases them all at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from tests.conftest import ROOT, run_manage

STARTUP_SECONDS = 120  # two shared cores may start a dozen Django processes at once


def database_env(tmp_path: Path) -> dict[str, str]:
    """Environment for manage.py in another process, reaching the test's database.

    PostgreSQL: the test database itself (the test must be transactional, so that what it
    writes is committed and what the processes write is flushed afterwards). SQLite: the test
    database is in memory, out of other processes' reach, so a file database is migrated.
    """
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "SECRET_KEY": settings.SECRET_KEY}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = _postgres_url(connection.settings_dict)
        return env
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    migrated = run_manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _postgres_url(database: dict[str, object]) -> str:
    user = quote(str(database.get("USER") or ""))
    password = str(database.get("PASSWORD") or "")
    credentials = f"{user}:{quote(password)}" if password else user
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def shell(code: str, env: dict[str, str]) -> str:
    """Run `code` in one manage.py shell; its standard output (it must succeed)."""
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_together(code: str, env: dict[str, str], count: int, tmp_path: Path) -> list[str]:
    """Start `count` processes running `code`, release them together at its `start_line()`,
    and return each one's standard output. A process that fails fails the test."""
    go = tmp_path / "go"
    processes = [_start(code, env, tmp_path / f"ready-{n}", go, n) for n in range(count)]
    try:
        _wait_until_ready(processes, [tmp_path / f"ready-{n}" for n in range(count)])
        go.touch()
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=STARTUP_SECONDS)
            assert process.returncode == 0, err
            outputs.append(out)
        return outputs
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for signal_file in [go, *(tmp_path / f"ready-{n}" for n in range(count))]:
            signal_file.unlink(missing_ok=True)  # a next round starts from no signal


def start_line() -> None:
    """Called by the code `run_together()` runs: say ready, wait for the start signal."""
    Path(os.environ["KV_TEST_READY"]).touch()
    go = Path(os.environ["KV_TEST_GO"])
    deadline = time.monotonic() + STARTUP_SECONDS
    while not go.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the other processes never started")
        time.sleep(0.002)


def worker_number() -> int:
    """Which of the processes started by `run_together()` this is: 0, 1, ..."""
    return int(os.environ["KV_TEST_WORKER"])


def _start(code: str, env: dict[str, str], ready: Path, go: Path, n: int) -> subprocess.Popen:
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "KEYVAULT_ENV_FILE": "",
        **env,
        "KV_TEST_READY": str(ready),
        "KV_TEST_GO": str(go),
        "KV_TEST_WORKER": str(n),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=ROOT,
    )


def _wait_until_ready(processes: list[subprocess.Popen], ready: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not all(path.exists() for path in ready):
        for process in processes:
            if process.poll() is not None:
                _, err = process.communicate()
                raise AssertionError(f"a process ended before the start: {err}")
        assert time.monotonic() < deadline, "the processes did not get ready in time"
        time.sleep(0.02)
