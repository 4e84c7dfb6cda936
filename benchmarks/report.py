"""Result rows, the machine description and the markdown table written to docs/benchmarks.md."""

from __future__ import annotations

import datetime
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["PASS", "MISS", "INFO", "SKIP"]


@dataclass(frozen=True)
class Result:
    """One line of the table: what was measured, the numbers, the target and the verdict."""

    benchmark: str
    measured: str
    target: str
    status: Status
    detail: str = ""


def verdict(passed: bool) -> Status:
    return "PASS" if passed else "MISS"


def skipped(benchmark: str, why: str) -> Result:
    return Result(benchmark, "—", "—", "SKIP", why)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine(postgres_version: str | None) -> list[tuple[str, str]]:
    """The facts a reader needs to compare these numbers with their own."""
    import os

    import cryptography
    import django

    return [
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("cryptography", f"{cryptography.__version__} ({_openssl()})"),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version or "not measured"),
        ("Date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def _openssl() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend

    return str(backend.openssl_version_text())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    results: Sequence[Result], facts: Sequence[tuple[str, str]], notes: Sequence[str], mode: str
) -> str:
    """The whole markdown document."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks` ({mode} run); `make bench` reruns it. Times are the "
        "median of alternating rounds, with [min-max] over the rounds; a ratio is the median "
        "over rounds of contender / baseline in the same round (lower is better unless the "
        "target says *faster*).",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {name} | {_cell(value)} |" for name, value in facts),
        "",
        "| Benchmark | Measured | Target | Result | Details |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        cells = (r.benchmark, r.measured, r.target, f"**{r.status}**", r.detail)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    passed = sum(r.status == "PASS" for r in results)
    missed = sum(r.status == "MISS" for r in results)
    lines += ["", f"{passed} targets met, {missed} missed.", ""]
    if notes:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)
