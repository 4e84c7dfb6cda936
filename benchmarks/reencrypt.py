"""Benchmark 5: `reencrypt` throughput and peak memory, against the peer `obj.save()` loop.

Rows are seeded straight into the table (raw executemany of envelopes under the fallback key);
seeding is not measured. Each re-encryption runs in a fresh subprocess whose peak RSS is read
from /usr/bin/time -v (or from the child's own getrusage when that tool is missing).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connections, transaction

from settings_app.crypto import RandomizedCipher
from settings_app.encryption import keyring

from .benchapp.models import ReencryptRow
from .orm import DB_NAMES
from .report import Result, verdict
from .sizes import Sizes
from .timing import fmt, progress, time_once
from .values import api_keys

ROOT = Path(__file__).resolve().parent.parent
MIN_ROWS_PER_SECOND = 50_000
MAX_RSS_GROWTH = 0.10
MIN_SPEEDUP = 20.0
CHUNK = 50_000
_MAXRSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


@dataclass(frozen=True)
class Run:
    rows: int
    rows_per_second: float
    peak_rss_mb: float


def seed(alias: str, count: int) -> None:
    """`count` rows whose envelopes are under the fallback key: all of them need re-encryption."""
    fallback = keyring.get_keyset().randomized[1]
    field = ReencryptRow._meta.get_field("value")
    cipher = RandomizedCipher([fallback], field.context)
    pool = api_keys(min(count, 10_000), seed=31)
    connection = connections[alias]
    table = connection.ops.quote_name(ReencryptRow._meta.db_table)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        for start in range(0, count, CHUNK):
            rows = [
                (cipher.encrypt(pool[i % len(pool)]),)
                for i in range(start, min(count, start + CHUNK))
            ]
            cursor.executemany(f"INSERT INTO {table} (value) VALUES (%s)", rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")


def run_child(alias: str, count: int) -> Run:
    """Re-encrypt every row in a subprocess; its own report gives rows/s."""
    connections.close_all()  # no lock or open transaction of ours in the child's way
    command = [sys.executable, "-m", "benchmarks.reencrypt_child", alias]
    timer = shutil.which("time", path="/usr/bin")
    if timer:
        command = [timer, "-v", *command]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reencrypt subprocess failed:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["updated"] != count or report["failed"]:
        raise RuntimeError(f"reencrypt updated {report['updated']} of {count} rows")
    found = _MAXRSS.search(done.stderr) if timer else None
    rss_kb = int(found[1]) if found else int(report["maxrss_kb"])
    return Run(count, report["rows_per_second"], rss_kb / 1024)


def _median_run(alias: str, count: int, rounds: int) -> Run:
    runs = []
    for _ in range(rounds):
        seed(alias, count)
        runs.append(run_child(alias, count))
    return Run(
        count,
        statistics.median(r.rows_per_second for r in runs),
        statistics.median(r.peak_rss_mb for r in runs),
    )


def time_save_loop(alias: str, count: int, *, atomic: bool = False) -> float:
    """Rows/s of `for obj in Model.objects.all(): obj.save()`, the loop peers recommend.

    As written it commits once per row; `atomic=True` wraps it in one transaction (a variant
    that holds a write lock for the whole run, reported for comparison only).
    """
    seed(alias, count)

    def save_all() -> None:
        for obj in ReencryptRow._default_manager.using(alias).all():
            obj.save()

    def save_all_in_one_transaction() -> None:
        with transaction.atomic(using=alias):
            save_all()

    return count / time_once(save_all_in_one_transaction if atomic else save_all)


def run_sqlite(sizes: Sizes) -> list[Result]:
    large, small = sizes.reencrypt_large, sizes.reencrypt_small
    rounds = sizes.reencrypt_runs
    progress(f"reencrypt on SQLite: {small:,} rows x {rounds} runs")
    small_run = _median_run("default", small, rounds)
    progress(f"reencrypt on SQLite: {large:,} rows x 1 run (seeding takes a while)")
    started = time.perf_counter()
    large_run = _median_run("default", large, 1)
    progress(f"reencrypt on SQLite: {large:,} rows done in {time.perf_counter() - started:.0f}s")
    progress(f"save loop on SQLite: {sizes.save_loop_rows:,} rows")
    loop_rps = time_save_loop("default", sizes.save_loop_rows)
    atomic_rps = time_save_loop("default", sizes.save_loop_rows, atomic=True)
    growth = large_run.peak_rss_mb / small_run.peak_rss_mb - 1
    speedup = small_run.rows_per_second / loop_rps
    loop_note = (
        f"save loop timed on all {sizes.save_loop_rows:,} rows"
        if sizes.save_loop_rows >= small
        else f"save loop timed on {sizes.save_loop_rows:,} rows (one commit per row), its rate "
        f"extrapolated linearly to {small:,}"
    )
    return [
        Result(
            f"5a reencrypt {large:,} rows (SQLite)",
            f"{fmt(large_run.rows_per_second)} rows/s",
            f">= {MIN_ROWS_PER_SECOND:,} rows/s",
            verdict(large_run.rows_per_second >= MIN_ROWS_PER_SECOND),
            f"1 run; peak RSS {large_run.peak_rss_mb:.1f} MB",
        ),
        Result(
            f"5b reencrypt {small:,} rows (SQLite)",
            f"{fmt(small_run.rows_per_second)} rows/s",
            "(reported)",
            "INFO",
            f"median of {rounds} runs; peak RSS {small_run.peak_rss_mb:.1f} MB",
        ),
        Result(
            f"5c peak RSS, {large:,} vs {small:,} rows (SQLite)",
            f"{growth:+.1%}",
            f"<= +{MAX_RSS_GROWTH:.0%}",
            verdict(growth <= MAX_RSS_GROWTH),
            f"{large_run.peak_rss_mb:.1f} MB vs {small_run.peak_rss_mb:.1f} MB "
            "(max RSS of the subprocess)",
        ),
        Result(
            f"5d reencrypt vs `for obj in all(): obj.save()`, {small:,} rows (SQLite)",
            f"{speedup:.1f}x faster",
            f">= {MIN_SPEEDUP:.0f}x faster",
            verdict(speedup >= MIN_SPEEDUP),
            f"reencrypt {fmt(small_run.rows_per_second)} rows/s; save loop {fmt(loop_rps)} rows/s "
            f"({loop_note})",
        ),
        Result(
            f"5d' reencrypt vs the same loop inside one transaction.atomic(), {small:,} rows",
            f"{small_run.rows_per_second / atomic_rps:.1f}x faster",
            "(reported)",
            "INFO",
            f"loop in one transaction {fmt(atomic_rps)} rows/s on {sizes.save_loop_rows:,} rows; "
            "holds the write lock for the whole run",
        ),
    ]


def run_postgres(sizes: Sizes, alias: str) -> list[Result]:
    count, rounds = sizes.reencrypt_small, sizes.reencrypt_runs
    progress(f"reencrypt on PostgreSQL: {count:,} rows x {rounds} runs")
    pg_run = _median_run(alias, count, rounds)
    return [
        Result(
            f"5e reencrypt {count:,} rows ({DB_NAMES[alias]})",
            f"{fmt(pg_run.rows_per_second)} rows/s",
            "(reported)",
            "INFO",
            f"median of {rounds} runs; peak RSS {pg_run.peak_rss_mb:.1f} MB",
        )
    ]
