"""`python -m benchmarks --quick` runs end to end and writes its table only where it is told to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run_quick(*args: str) -> subprocess.CompletedProcess[str]:
    """The quick benchmark in a subprocess, on this run's database server (or SQLite only)."""
    url = os.environ.get("DATABASE_URL", "")
    server = ["--postgres", url] if url.startswith("postgres") else ["--no-postgres"]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", *server, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    docs = ROOT / "docs" / "benchmarks.md"
    before = docs.stat().st_mtime_ns if docs.exists() else None
    done = run_quick("--output", str(output))
    after = docs.stat().st_mtime_ns if docs.exists() else None
    return done, output, before, after


def test_quick_run_exits_cleanly_and_prints_the_table(quick_run):
    done, _, _, _ = quick_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| Benchmark | Measured | Target | Result | Details |" in done.stdout
    for number in (
        "1a",
        "2 ORM read",
        "3 ORM bulk_create",
        "4 filter",
        "5a",
        "6 KeySet",
        "7 admin",
        "8 versions",
        "9 API read",
        "10 Gateway",
    ):
        assert f"| {number}" in done.stdout


def test_orm_targets_are_ratios_to_the_floor_and_plain_is_still_reported(quick_run):
    done, _, _, _ = quick_run
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 2 ORM read")]
    rows += [line for line in done.stdout.splitlines() if line.startswith("| 3 ORM")]
    against_floor = [row for row in rows if "vs attainable floor" in row]
    assert len(against_floor) >= 3  # instances, values_list, bulk_create
    reads = [row for row in against_floor if row.startswith("| 2 ORM read")]
    writes = [row for row in against_floor if row.startswith("| 3 ORM")]
    assert reads and all("x floor | <= 1.2x |" in row for row in reads)
    assert writes and all("x floor | <= 1.15x |" in row for row in writes)
    assert all("(reported)" in row for row in rows if " vs plain |" in row)


def test_the_admin_pages_are_measured_not_skipped(quick_run):
    """They sit behind the two-factor sign-in: a password-only session only gets a redirect."""
    done, _, _, _ = quick_run
    rows = [line for line in done.stdout.splitlines() if line.startswith(("| 7 admin", "| 8 "))]
    assert rows
    assert not [row for row in rows if "**SKIP**" in row]


def test_every_row_has_a_verdict(quick_run):
    done, _, _, _ = quick_run
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "**" in line]
    assert rows
    assert all(any(f"**{s}**" in row for s in ("PASS", "MISS", "INFO", "SKIP")) for row in rows)


def test_the_table_goes_to_output_and_docs_are_left_alone(quick_run):
    done, output, before, after = quick_run
    assert done.returncode == 0, done.stderr[-3000:]
    written = output.read_text(encoding="utf-8")
    assert "| Benchmark | Measured | Target | Result | Details |" in written
    assert "| CPU |" in written and "| SQLite |" in written
    assert before == after  # a quick run never rewrites docs/benchmarks.md


def test_no_plaintext_or_key_material_in_the_output(quick_run):
    done, output, _, _ = quick_run
    text = done.stdout + done.stderr + output.read_text(encoding="utf-8")
    assert "sk-proj-" not in text and "sk-ant-" not in text
    assert "KEYVAULT_BENCH_KEYS" not in text
