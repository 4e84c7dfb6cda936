"""Two `check_keys --notify` runs at the same moment send each notice once.

Real concurrency: two `manage.py` processes, each with its own database connection (on
PostgreSQL the test's own database, on SQLite a migrated file), released together from a start
line. The webhook answers slowly, so one run is still inside its claim's transaction while the
other reaches the same notice.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.conftest import ROOT, run_manage
from tests.notifications.conftest import WEBHOOK_SECRET

STARTUP_SECONDS = 120

SETUP = """
import datetime
from settings_app.models import Setting
soon = datetime.date.today() + datetime.timedelta(days=3)
for n in range(2):
    Setting.objects.create(key=f"key_{n}", value=f"sk-proj-RACE-{n}-0123456789abcdef",
                           provider="openai", expires_at=soon)
"""

RUN = """
import io, os, time
from pathlib import Path
from django.core.management import call_command
from django.core.management.base import CommandError

Path(os.environ["KV_READY"]).touch()
while not Path(os.environ["KV_GO"]).exists():
    time.sleep(0.002)
started = time.time()
out = io.StringIO()
try:
    call_command("check_keys", "--notify", stdout=out)
except CommandError:
    pass  # keys are due: exit status 1 is expected
print(f"window {started} {time.time()}")
print(out.getvalue())
"""


def database_env(tmp_path: Path) -> dict[str, str]:
    """manage.py's environment for the test's database (PostgreSQL) or a migrated file."""
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "SECRET_KEY": settings.SECRET_KEY}
    if connection.vendor == "postgresql":
        db: dict[str, Any] = connection.settings_dict
        password = f":{quote(str(db['PASSWORD']))}" if db.get("PASSWORD") else ""
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        env["DATABASE_URL"] = (
            f"postgres://{quote(str(db['USER']))}{password}@{host}:{port}/{db['NAME']}"
        )
        return env
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'race.sqlite3'}?timeout=60"
    migrated = run_manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def start(env: dict[str, str], ready: Path, go: Path) -> subprocess.Popen[str]:
    full_env = {"PATH": os.environ.get("PATH", ""), "KEYVAULT_ENV_FILE": "", **env}
    full_env |= {"KV_READY": str(ready), "KV_GO": str(go)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", RUN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=ROOT,
    )


def run_together(env: dict[str, str], tmp_path: Path) -> list[str]:
    go, ready = tmp_path / "go", [tmp_path / f"ready-{n}" for n in range(2)]
    runs = [start(env, path, go) for path in ready]
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not all(path.exists() for path in ready):
            assert all(run.poll() is None for run in runs), runs[0].communicate()[1]
            assert time.monotonic() < deadline, "the runs did not start in time"
            time.sleep(0.02)
        go.touch()
        outputs = [run.communicate(timeout=STARTUP_SECONDS) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    return [out for out, _ in outputs]


def window(output: str) -> tuple[float, float]:
    line = next(line for line in output.splitlines() if line.startswith("window "))
    started, ended = map(float, line.split()[1:])
    return started, ended


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_notify_runs_send_each_notice_once(tmp_path, webhook) -> None:
    env = database_env(tmp_path)
    mails = tmp_path / "mails"
    env |= {
        "KEYVAULT_NOTIFY_WEBHOOK_URL": webhook.url,
        "KEYVAULT_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "KEYVAULT_NOTIFY_EMAILS": "ops@example.com",
        "EMAIL_URL": f"filemail:///{mails}",
    }
    assert run_manage("shell", "-c", SETUP, env=env).returncode == 0
    webhook.delay = 0.5

    first, second = run_together(env, tmp_path)

    (a_start, a_end), (b_start, b_end) = window(first), window(second)
    assert a_start < b_end and b_start < a_end, "the runs did not overlap"
    sent = sorted(
        line for out in (first, second) for line in out.splitlines() if line.startswith("sent:")
    )
    assert sent == [
        "sent: key_0: expires within 7 days (email)",
        "sent: key_0: expires within 7 days (webhook)",
        "sent: key_1: expires within 7 days (email)",
        "sent: key_1: expires within 7 days (webhook)",
    ]
    assert sorted(r.json()["keyvault"]["setting"] for r in webhook.received) == ["key_0", "key_1"]
    subjects = [
        line
        for path in mails.iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("Subject: ")
    ]
    soon = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert sorted(subjects) == [
        f"Subject: [keyvault] key_{n} expires in 3 days ({soon})" for n in range(2)
    ]
