"""Of several processes spending one ticket at the same moment, exactly one wins."""

from __future__ import annotations

import pytest

from tests.support.cpu_load import busy_cpus
from tests.support.processes import database_env, run_together, shell

PURPOSE = 'Purpose("race", datetime.timedelta(minutes=15))'
ISSUE = f"""
import datetime
from django.contrib.auth.models import User
from settings_app.form_tickets.services import Purpose, issue
user = User.objects.filter(username="racer").first() or User.objects.create_user("racer")
print(issue(user, {PURPOSE}, "subject"))
"""
SPEND = f"""
import datetime, os
from django.contrib.auth.models import User
from settings_app.form_tickets.services import Purpose, spend
from tests.support.processes import start_line
user = User.objects.get(username="racer")
start_line()
print("WON" if spend(os.environ["KV_TICKET"], user, {PURPOSE}, "subject") else "LOST")
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_six_processes_spending_one_ticket_at_once_make_one_winner(
    tmp_path, race_rounds: int
) -> None:
    """Six workers, each with its own connection, on a machine kept busy by two CPU-bound
    processes (`--race-rounds 20` repeats it)."""
    env = database_env(tmp_path)
    with busy_cpus():
        for done in range(1, race_rounds + 1):
            ticket = shell(ISSUE, env).strip().splitlines()[-1]
            outputs = run_together(SPEND, {**env, "KV_TICKET": ticket}, 6, tmp_path)
            results = sorted(output.strip().splitlines()[-1] for output in outputs)
            assert results == ["LOST"] * 5 + ["WON"], f"round {done}"
