"""SQLite waits for another connection's write lock instead of failing "database is locked".

A busy machine's waits are longer than SQLite's default 5 s busy timeout; ours is 30 s.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import run_manage
from tests.support.keys import sqlite_env

HOLD_SECONDS = 6
WRITE_WHEN_LOCKED = """
import os, time
from pathlib import Path
from settings_app import audit
Path(os.environ["KV_READY"]).touch()
deadline = time.monotonic() + 120
while not Path(os.environ["KV_LOCKED"]).exists():
    assert time.monotonic() < deadline, "the lock was never taken"
    time.sleep(0.01)
started = time.monotonic()
audit.record("verified", setting_key="openai_api_key")
print(f"WROTE after {time.monotonic() - started:.1f}s")
"""


@pytest.mark.slow
def test_a_write_waits_out_a_lock_held_for_six_seconds(tmp_path: Path) -> None:
    database = tmp_path / "busy.sqlite3"
    env = {**sqlite_env(database), "KV_READY": str(tmp_path / "ready")}
    env["KV_LOCKED"] = str(tmp_path / "locked")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    holder = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    result: list[object] = []
    writer = threading.Thread(
        target=lambda: result.append(run_manage("shell", "-c", WRITE_WHEN_LOCKED, env=env))
    )
    writer.start()
    deadline = time.monotonic() + 120
    while not (tmp_path / "ready").exists() and writer.is_alive():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another worker's transaction holds it
    (tmp_path / "locked").touch()
    time.sleep(HOLD_SECONDS)  # the scenario itself: a lock held this long, not synchronisation
    holder.execute("COMMIT")
    writer.join(timeout=120)
    done = result[0]
    assert done.returncode == 0 and "WROTE" in done.stdout, done.stderr  # type: ignore[attr-defined]
