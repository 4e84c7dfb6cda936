"""The client benchmarks (`python -m benchmarks --only client`) run and report every row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_client_benchmarks_report_their_three_rows(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-postgres", "--only", "client",
         "--output", str(tmp_path / "bench.md")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 9")]
    assert [row.split()[1] for row in rows] == ["9a", "9b", "9c"]
    assert all(any(f"**{s}**" in row for s in ("PASS", "MISS")) for row in rows)
    assert "kvt_" not in done.stdout + done.stderr and "sk-" not in done.stdout + done.stderr
