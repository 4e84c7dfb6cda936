"""The rotation drill (`make drill`): the README's rotation runbook, run while services read.

gunicorn (2 workers, deploy/serve.sh) serves 50 settings from PostgreSQL with Redis as the
cache; paced API readers and a `keyvault run` loop check every value they get, while the
operator rotates the key file, reloads (SIGHUP), re-encrypts, checks the status, retires the
old key and reloads again. Per phase: reads, failed reads, wrong values and p99 latency.

    python -m benchmarks.drill [--postgres URL] [--readers N] [--rest SECONDS] [--output PATH]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import drill_server as server
from .drill_load import Load, PhaseClock, PhaseStats
from .report import Result, skipped, verdict
from .sizes import QUICK, Sizes

SETTINGS = 50
REDIS_URL = "redis://127.0.0.1:6379/5"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
P99_TARGET = 3.0  # p99 while reencrypt runs, at most this times p99 at rest
DRILLS = 3  # make bench reports the median drill
HEADER = """# Rotation drill

Written by `make drill` (`python -m benchmarks.drill`): the README's rotation runbook run
against gunicorn (2 workers, `deploy/serve.sh`, rolling reloads) on PostgreSQL and Redis with 50
settings, while paced API readers (single, conditional and `?keys=` reads) and a `keyvault run`
loop check every value. A read counts in the phase it started in; p99 is over API reads.

"""
WARM_UP, REST, REENCRYPT = "warm-up", "at rest", "reencrypt"


@dataclass(frozen=True)
class DrillSizes:
    readers: int = 4  # API client threads
    interval: float = 0.02  # seconds each reader waits between two reads
    rest: float = 10.0  # seconds of load before the runbook starts, and after it ends
    sighup: bool = False  # reload with plain SIGHUP (a gap) instead of the rolling reload


@dataclass(frozen=True)
class DrillReport:
    phases: dict[str, PhaseStats]
    seconds: float
    status_output: str  # what encryption_status printed before the old key was retired
    server_log: str  # gunicorn's output: workers booted and stopped, errors

    @property
    def failed(self) -> int:
        return sum(p.failed + p.wrong + p.runs_failed + p.runs_wrong for p in self.phases.values())

    @property
    def p99_ratio(self) -> float:
        rest = self.phases[REST].p99
        return self.phases[REENCRYPT].p99 / rest if rest else float("inf")

    @property
    def met(self) -> bool:
        return self.failed == 0 and self.p99_ratio <= P99_TARGET


def values() -> dict[str, str]:
    return {
        f"drill_{n:02d}_api_key": "sk-drill-" + secrets.token_urlsafe(30) for n in range(SETTINGS)
    }


def run(postgres_url: str, sizes: DrillSizes) -> DrillReport:
    """The whole drill on a scratch database; the figures per phase."""
    started = time.monotonic()
    expected = values()
    with (
        tempfile.TemporaryDirectory(prefix="keyvault-drill-") as directory,
        server.scratch_database(postgres_url) as database_url,
    ):
        deployment = server.prepare(Path(directory), database_url, REDIS_URL)
        token = server.seed(deployment, expected)
        with server.gunicorn(deployment) as (base, master):
            clock = PhaseClock(WARM_UP)
            with Load(base, token, expected, clock, readers=sizes.readers,
                      interval=sizes.interval):  # fmt: skip
                status = _runbook(deployment, base, master, clock, sizes)
        log = (Path(directory) / "gunicorn.log").read_text()
    return DrillReport(clock.stats, time.monotonic() - started, status, log)


def _runbook(
    deployment: server.Deployment, base: str, master: subprocess.Popen, clock: PhaseClock,
    sizes: DrillSizes,
) -> str:  # fmt: skip
    """The README's rotation steps, one phase each; encryption_status's output."""
    time.sleep(sizes.rest / 2)  # each worker's first reads import the API's modules
    clock.enter(REST)
    time.sleep(sizes.rest)  # load at rest: the baseline the reencrypt phase is compared with
    clock.enter("rotate")
    server.rotate_key_file(deployment)
    clock.enter("reload")
    _reload(deployment, base, master, sizes)
    clock.enter(REENCRYPT)
    deployment.manage("reencrypt")
    clock.enter("encryption_status")
    status = deployment.manage("encryption_status").stdout
    if "can be retired now" not in status:
        raise RuntimeError(f"encryption_status does not let the old key retire:\n{status}")
    clock.enter("retire old key")
    server.retire_fallbacks(deployment)
    clock.enter("second reload")
    _reload(deployment, base, master, sizes)
    clock.enter("after")
    time.sleep(sizes.rest)  # load after the rotation: only the new key is configured
    clock.enter("done")
    return status


def _reload(
    deployment: server.Deployment, base: str, master: subprocess.Popen, sizes: DrillSizes
) -> None:
    if sizes.sighup:
        server.reload(deployment, base, master)
    else:
        server.rolling_reload(deployment, master)


def results(sizes: Sizes, postgres_url: str | None) -> list[Result]:
    """The drill's rows in `make bench`'s table (the full run only: tests run it on their own)."""
    name = "10 rotation drill"
    if sizes == QUICK or not postgres_url:
        why = (
            "quick run (tests/deploy/test_rotation_drill.py runs it)"
            if sizes == QUICK
            else ("it needs PostgreSQL")
        )
        return [skipped(name, why)]
    # p99 over the few hundred reads of one reencrypt is noisy on a shared machine: the
    # median of three whole drills (every read of every drill must still succeed).
    reports = sorted((run(postgres_url, DrillSizes()) for _ in range(DRILLS)),
                     key=lambda report: report.p99_ratio)  # fmt: skip
    report = reports[len(reports) // 2]
    failed = sum(r.failed for r in reports)
    phases = "; ".join(
        f"{n}: {p.reads} reads, p99 {p.p99 * 1e3:.0f} ms" for n, p in report.phases.items()
        if n != "done"
    )  # fmt: skip
    ratios = ", ".join(f"{r.p99_ratio:.2f}x" for r in reports)
    return [
        Result(f"{name}: failed reads and wrong values, every phase", str(failed), "0",
               verdict(failed == 0), f"{DRILLS} drills; the median one: {phases}"),
        Result(f"{name}: p99 during reencrypt vs at rest", f"{report.p99_ratio:.2f}x",
               f"<= {P99_TARGET:.0f}x", verdict(report.p99_ratio <= P99_TARGET),
               f"median of {DRILLS} drills ({ratios}); gunicorn 2 workers, PostgreSQL, Redis; "
               "rolling reloads; docs/drill.md per phase"),
    ]  # fmt: skip


def render(report: DrillReport) -> str:
    """The per-phase table (markdown) and the verdict."""
    lines = [
        "| Phase | Seconds | API reads | Failed | Wrong values | p99 (ms) | keyvault run "
        "(failed, wrong) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, p in report.phases.items():
        if name != "done":
            lines.append(
                f"| {name} | {p.seconds:.1f} | {p.reads} | {p.failed} | {p.wrong} | "
                f"{p.p99 * 1e3:.1f} | {p.runs} ({p.runs_failed}, {p.runs_wrong}) |"
            )
    lines += [
        "",
        f"Failed reads and runs, all phases: {report.failed} (target 0). p99 during reencrypt / "
        f"p99 at rest: {report.p99_ratio:.2f}x (target <= {P99_TARGET:.0f}x). "
        f"Whole drill: {report.seconds:.0f} s. Reads sent again once on a fresh connection "
        f"(a stopping worker closed the kept-alive one): "
        f"{sum(p.retried for p in report.phases.values())}.",
    ]
    for name, p in report.phases.items():
        lines += [f"- {name}: {failure}" for failure in p.failures]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drill", description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL",
                                                             DEFAULT_POSTGRES_URL))  # fmt: skip
    parser.add_argument("--readers", type=int, default=DrillSizes.readers)
    parser.add_argument("--rest", type=float, default=DrillSizes.rest)
    parser.add_argument(
        "--sighup", action="store_true", help="reload by plain SIGHUP (it shows a gap)"
    )
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    report = run(
        args.postgres, DrillSizes(readers=args.readers, rest=args.rest, sighup=args.sighup)
    )
    table = render(report)
    print(table)
    if report.failed:
        print(f"gunicorn's log:\n{report.server_log[-4000:]}", file=sys.stderr)
    if args.output:
        args.output.write_text(HEADER + table + "\n", encoding="utf-8")
    return 0 if report.met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
