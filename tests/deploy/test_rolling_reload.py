"""deploy/rolling_reload.py (systemctl reload): new workers must say they are ready before old
ones are stopped, and a new worker that never does leaves the old ones serving, by a deadline.

The whole reload against gunicorn under load is tests/deploy/test_rotation_drill.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "deploy" / "rolling_reload.py"

# A stand-in master: one child "worker"; it counts SIGTTIN/SIGTTOU instead of acting on them.
FAKE_MASTER = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    signals = open(sys.argv[1], "a", buffering=1)
    for number in (signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(number, lambda n, frame: signals.write(signal.Signals(n).name + "\\n"))
    print(worker.pid, flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def fake_master(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    log = tmp_path / "signals"
    master = subprocess.Popen(
        [sys.executable, "-c", FAKE_MASTER, str(log)], stdout=subprocess.PIPE, text=True
    )
    assert master.stdout is not None
    worker = int(master.stdout.readline())
    yield master, worker, log
    os.kill(worker, signal.SIGKILL)
    master.kill()
    master.wait()
    master.stdout.close()


def reload(master: int, ready: Path, deadline: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEYVAULT_WORKER_READY_DIR": str(ready)}
    command = [sys.executable, str(SCRIPT), str(master), "--deadline", deadline]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_a_new_worker_that_never_gets_ready_leaves_the_old_ones_serving(
    fake_master, tmp_path
) -> None:
    master, worker, log = fake_master
    started = time.monotonic()
    done = reload(master.pid, tmp_path / "ready", "1")
    assert done.returncode == 1
    assert "Gave up after 1 s waiting for new worker 1 of 1 to be ready" in done.stderr
    assert "keep serving" in done.stderr
    assert time.monotonic() - started < 30  # a deadline, not a hang
    assert log.read_text().split() == ["SIGTTIN"]  # never a SIGTTOU: the old worker is kept
    os.kill(worker, 0)  # still running


def test_a_process_without_workers_is_refused_with_a_clear_message(tmp_path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        done = reload(sleeper.pid, tmp_path, "1")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert done.returncode == 1
    assert "has no workers: is it gunicorn's master?" in done.stderr


def test_systemd_reloads_with_the_script_and_serve_sh_agrees_on_the_ready_directory() -> None:
    unit = (ROOT / "deploy" / "keyvault.service").read_text()
    reload = "ExecReload=/opt/keyvault/.venv/bin/python /opt/keyvault/deploy/rolling_reload.py"
    assert reload in unit
    assert "kill -HUP" not in unit
    assert "KEYVAULT_WORKER_READY_DIR=/run/keyvault/workers" in unit
    serve = (ROOT / "deploy" / "serve.sh").read_text()
    assert "KEYVAULT_WORKER_READY_DIR:-${TMPDIR:-/tmp}/keyvault-workers" in serve
    assert os.access(SCRIPT, os.X_OK)
