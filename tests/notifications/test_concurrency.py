"""Two `check_keys --notify` runs at the same moment send each notice once.

Real concurrency: two `manage.py` processes, each with its own database connection (on
PostgreSQL the test's own database, on SQLite a migrated file), released together from a start
line (tests/support/processes.py). The webhook answers slowly, so one run is still inside its
claim's transaction while the other reaches the same notice.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.notifications.conftest import WEBHOOK_SECRET
from tests.support.processes import database_env, run_together, shell

SETUP = """
import datetime
from django.utils import timezone
from settings_app.models import Setting
soon = timezone.localdate() + datetime.timedelta(days=3)
for n in range(2):
    Setting.objects.create(key=f"key_{n}", value=f"sk-proj-RACE-{n}-0123456789abcdef",
                           provider="openai", expires_at=soon)
"""

RUN = """
import io, time
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.support.processes import start_line

start_line()
started = time.time()
out = io.StringIO()
try:
    call_command("check_keys", "--notify", stdout=out)
except CommandError:
    pass  # keys are due: exit status 1 is expected
print(f"window {started} {time.time()}")
print(out.getvalue())
"""


def window(output: str) -> tuple[float, float]:
    line = next(line for line in output.splitlines() if line.startswith("window "))
    started, ended = map(float, line.split()[1:])
    return started, ended


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_notify_runs_send_each_notice_once(tmp_path, webhook) -> None:
    env = database_env(tmp_path)
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] += "?timeout=60"  # a loaded machine must not turn waits into errors
    mails = tmp_path / "mails"
    env |= {
        "KEYVAULT_NOTIFY_WEBHOOK_URL": webhook.url,
        "KEYVAULT_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "KEYVAULT_NOTIFY_EMAILS": "ops@example.com",
        "EMAIL_URL": f"filemail:///{mails}",
    }
    shell(SETUP, env)
    webhook.delay = 0.5

    first, second = run_together(RUN, env, 2, tmp_path)

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
