"""The rotation drill under live load (benchmarks/drill.py, `make drill`), smaller: the README's
rotation runbook while API readers and a `keyvault run` loop check every value they get.

PostgreSQL pass only: the drill is specified on PostgreSQL and Redis (db 5), with a database of
its own beside the suite's. The p99 ratio (reencrypt vs at rest) is asserted by `make drill`,
not here: a few seconds of samples on a shared two-core machine make it noise.
"""

from __future__ import annotations

import os
import time

import pytest

from benchmarks import drill

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the drill runs on PostgreSQL and Redis (the PostgreSQL pass runs it)",
    ),
]


def test_rotation_under_live_load_loses_no_read() -> None:
    started = time.monotonic()
    report = drill.run(os.environ["DATABASE_URL"], drill.DrillSizes(readers=3, rest=2.0))

    table = drill.render(report)
    assert list(report.phases) == [
        "warm-up", "at rest", "rotate", "reload", "reencrypt", "encryption_status",
        "retire old key", "second reload", "after", "done",
    ]  # fmt: skip
    for name, phase in report.phases.items():
        assert (phase.failed, phase.wrong, phase.runs_failed, phase.runs_wrong) == (0, 0, 0, 0), (
            f"{name}\n{table}\n{report.server_log[-3000:]}"
        )
    measured = [report.phases[name] for name in ("at rest", "reload", "reencrypt", "after")]
    assert all(phase.reads > 0 for phase in measured), table  # reads ran through every step
    assert sum(phase.runs for phase in report.phases.values()) > 0, table
    assert "can be retired now" in report.status_output
    assert time.monotonic() - started < 120, table
