"""Ctrl-C during reencrypt: one line saying what was committed and that a rerun resumes.

No traceback, exit status 130 (the shell's convention for SIGINT), and the count it prints is
exactly what the database holds: it stops between batches, never half-way through one.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settings_app import reencryption
from settings_app.management.interruption import deferred_interrupts
from tests.conftest import ROOT, run_manage
from tests.support.raw_rows import raw_values, rotate_primary
from tests.support.reencrypt_database import ROWS, SEED, key_env, moved_rows
from tests.testapp.models import Secret

INTERRUPTED = re.compile(
    r"^CommandError: Interrupted: (\d+) rows re-encrypted and committed; "
    r"run `manage\.py reencrypt` again to resume\.$"
)
LOG_RECORD = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")  # the text log format's start
AXES = "AXES: BEGIN"  # django-axes' start-up banner, printed by every command


def start_reencrypt(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "reencrypt", "--batch-size", "50"],
        env={"PATH": "/usr/bin:/bin", "KEYVAULT_ENV_FILE": "", **env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_ctrl_c_ends_with_one_line_and_a_rerun_resumes(tmp_path: Path) -> None:
    database = tmp_path / "interrupt.sqlite3"
    before = key_env(database, rotated=False)
    assert run_manage("migrate", "--noinput", env=before).returncode == 0
    assert run_manage("shell", "-c", SEED, env=before).returncode == 0
    with sqlite3.connect(database) as db:
        (sample,) = db.execute("SELECT value FROM settings_app_setting LIMIT 1").fetchone()
    old_key_id = sample.split("$")[3]

    after = key_env(database, rotated=True)
    process = start_reencrypt(after)
    deadline = time.monotonic() + 60
    while moved_rows(database, old_key_id) < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    # The command's own words, apart from log records (the audit head is logged on each write).
    lines = [
        line
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(AXES) and not LOG_RECORD.match(line)
    ]
    assert len(lines) == 1, stderr
    (line,) = lines
    match = INTERRUPTED.search(line)
    assert match, line
    committed = int(match[1])
    assert committed == moved_rows(database, old_key_id)
    assert 0 < committed < ROWS, "the interrupt must land mid-run"

    rerun = run_manage("reencrypt", env=after)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS - committed} re-encrypted" in rerun.stdout


@pytest.mark.django_db
def test_the_service_reports_exactly_what_it_committed(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(100))
    rotate_primary(settings)
    batches = 0

    def interrupt_after_three_batches(rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise KeyboardInterrupt

    spec = reencryption.encrypted_models(["testapp.Secret"])
    report = reencryption.reencrypt(spec, batch_size=10, progress=interrupt_after_three_batches)
    assert report.interrupted
    assert (report.scanned, report.updated) == (30, 30)
    current = raw_values("testapp_secret")
    assert (
        sum(1 for value in current if value.startswith(f"$kv1$r${current[0].split('$')[3]}$")) == 30
    )
    assert "30 rows re-encrypted and committed" in report.interruption


def test_the_first_ctrl_c_asks_to_stop_and_the_second_stops_at_once() -> None:
    before = signal.getsignal(signal.SIGINT)
    with deferred_interrupts() as interruption:
        interruption.check()  # nothing pressed yet
        signal.raise_signal(signal.SIGINT)
        assert interruption.requested
        with pytest.raises(KeyboardInterrupt):
            interruption.check()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
