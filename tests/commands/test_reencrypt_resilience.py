"""reencrypt under stress: killed with SIGKILL mid-run, and racing a concurrent writer."""

from __future__ import annotations

import io
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from settings_app import reencryption
from tests.conftest import ROOT, run_manage
from tests.support.keys import fake_key
from tests.support.reencrypt_database import ROWS, SEED, key_env, moved_rows
from tests.testapp.models import Secret

VERIFY = f"""
from settings_app.models import Setting
values = dict(Setting.objects.values_list("key", "value"))
expected = {{f"k{{i:06d}}": f"sk-proj-kill-{{i:06d}}" for i in range({ROWS})}}
print("OK" if values == expected else "MISMATCH")
"""


@pytest.mark.slow
def test_killed_mid_run_then_rerun_loses_nothing(tmp_path: Path) -> None:
    database = tmp_path / "kill.sqlite3"
    before = key_env(database, rotated=False)
    assert run_manage("migrate", "--noinput", env=before).returncode == 0
    assert run_manage("shell", "-c", SEED, env=before).returncode == 0
    with sqlite3.connect(database) as db:
        (sample,) = db.execute("SELECT value FROM settings_app_setting LIMIT 1").fetchone()
    old_key_id = sample.split("$")[3]

    after = key_env(database, rotated=True)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "reencrypt", "--batch-size", "50"],
        env={"PATH": "/usr/bin:/bin", "KEYVAULT_ENV_FILE": "", **after},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while moved_rows(database, old_key_id) < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    moved = moved_rows(database, old_key_id)
    assert 0 < moved < ROWS, "the kill must land mid-run"

    rerun = run_manage("reencrypt", env=after)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS - moved} re-encrypted" in rerun.stdout
    assert moved_rows(database, old_key_id) == ROWS
    check = run_manage("shell", "-c", VERIFY, env=after)
    assert check.stdout.strip().splitlines()[-1] == "OK", check.stderr


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_writer_wins_every_race(settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent writers: runs in the PostgreSQL pass of the suite")
    Secret.objects.bulk_create(Secret(value=f"original-{n}") for n in range(3000))
    pks = list(Secret.objects.values_list("pk", flat=True))
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-concurrent")
    last_written: dict[int, str] = {}
    stop = threading.Event()

    def writer() -> None:
        chooser = random.Random(7)
        try:
            n = 0
            while not stop.is_set():
                pk = chooser.choice(pks)
                value = f"edited-{n}"
                Secret.objects.filter(pk=pk).update(value=value)
                last_written[pk] = value
                n += 1
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):
            call_command("reencrypt", "--batch-size", "25", stdout=io.StringIO())
    finally:
        stop.set()
        thread.join()
    assert last_written, "the writer must have raced the command"
    values = dict(Secret.objects.values_list("pk", "value"))
    for pk, value in last_written.items():
        assert values[pk] == value
    untouched = [pk for pk in pks if pk not in last_written]
    assert all(str(values[pk]).startswith("original-") for pk in untouched)
    spec = reencryption.encrypted_models(["testapp.Secret"])[0]
    assert reencryption.reencrypt([spec]).updated == 0
