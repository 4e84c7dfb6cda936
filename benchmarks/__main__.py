"""`python -m benchmarks [--quick] [--postgres URL | --no-postgres] [--output PATH]`.

Runs every benchmark, prints the markdown table and (full run, or with --output) writes it to
docs/benchmarks.md. Misses are reported, never hidden: the exit status is 0 unless a benchmark
itself fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .environment import DEFAULT_POSTGRES_URL, Environment, prepare
from .report import Result, machine, render, skipped
from .sizes import FULL, QUICK, Sizes
from .timing import progress

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTIONS = (
    "crypto",
    "orm",
    "lookup",
    "reencrypt",
    "startup",
    "admin",
    "versions",
    "api",
    "client",
    "gateway",
    "drill",
)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server for the PostgreSQL sections (a scratch database is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL sections")
    parser.add_argument("--output", type=Path, help="markdown file (full run: docs/benchmarks.md)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SECTIONS)}")
    return parser.parse_args(argv)


def sections(sizes: Sizes, env: Environment) -> dict[str, Callable[[], list[Result]]]:
    """Each benchmark by name; imported here because the models need Django set up first."""
    from . import (
        admin,
        api_read,
        client,
        crypto_path,
        drill,
        gateway,
        lookup,
        orm,
        reencrypt,
        startup,
        value_cache,
        versions,
    )

    aliases = ["default", *([env.postgres] if env.postgres else [])]
    return {
        "crypto": lambda: crypto_path.run(sizes),
        "orm": lambda: [
            r
            for alias in aliases
            for r in (*orm.run_reads(sizes, alias), *orm.run_writes(sizes, alias))
        ],
        "lookup": lambda: [r for alias in aliases for r in lookup.run(sizes, alias)],
        "reencrypt": lambda: [
            *reencrypt.run_sqlite(sizes),
            *(reencrypt.run_postgres(sizes, env.postgres) if env.postgres else []),
        ],
        "startup": lambda: startup.run(sizes),
        "admin": lambda: _guarded("7 admin changelist", lambda: admin.run(sizes)),
        "versions": lambda: _guarded("8 versions", lambda: versions.run(sizes)),
        "api": lambda: api_read.run(sizes, env),
        "client": lambda: [*value_cache.run(sizes), *client.run(sizes)],
        "gateway": lambda: gateway.run(sizes, env),
        "drill": lambda: drill.results(sizes, env.postgres_url),
    }


def _guarded(name: str, run: Callable[[], list[Result]]) -> list[Result]:
    """The admin is another engineer's work in progress: a crash there skips, with the reason."""
    try:
        return run()
    except Exception as error:
        return [skipped(name, f"the admin page failed: {type(error).__name__}: {error}")]


def _postgres_version(env: Environment) -> str | None:
    if not env.postgres:
        return None
    from django.db import connections

    with connections[env.postgres].cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    sizes, mode = (QUICK, "quick") if args.quick else (FULL, "full")
    wanted = args.only.split(",") if args.only else list(SECTIONS)
    started, load = time.perf_counter(), os.getloadavg()
    with prepare(None if args.no_postgres else args.postgres) as env:
        if env.postgres_note:
            progress(env.postgres_note)
        results: list[Result] = []
        for name, run in sections(sizes, env).items():
            if name in wanted:
                results += run()
        facts = machine(_postgres_version(env))
    elapsed = time.perf_counter() - started
    notes = _notes(env, elapsed, load)
    document = render(results, facts, notes, mode)
    print(document)
    output = args.output or (None if args.quick or args.only else DEFAULT_OUTPUT)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document, encoding="utf-8")
        progress(f"wrote {output}")
    return 0


def _notes(env: Environment, elapsed: float, load: tuple[float, float, float]) -> list[str]:
    notes = [
        "Floors (1a-1d) are bare `AESGCM` with a prebuilt object: base64 + one AEAD call on "
        "bytes; the field also converts str<->bytes and reads the envelope header.",
        "ORM targets (2, 3) are ratios to the attainable floor measured in the same rounds: "
        "reads select keyvault's own table as a plain TextField and open each envelope with bare "
        "`AESGCM` + `.decode()` (in `values_list` form for `values_list`); writes seal each "
        "value with bare `AESGCM` and `bulk_create` the envelopes as plain text. The floor "
        "leaves out Django's per-row converter call, which any field that decrypts must pay.",
        "The deterministic lookup (4) runs with no deterministic fallback key configured "
        "(one envelope per looked-up value); each fallback adds one value to the `IN (...)`.",
        "Re-encryption rows (5) are seeded by raw executemany of envelopes under a fallback "
        "key (not timed); rows/s is `ReencryptReport.rows_per_second` from the subprocess.",
        f"Whole run: {elapsed / 60:.1f} minutes; load average when it started: "
        f"{', '.join(f'{x:.2f}' for x in load)} (other work on the machine widens the spreads).",
    ]
    if env.postgres_note:
        notes.append(env.postgres_note)
    return notes


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
