"""How much work each benchmark does: the full run (under 10 minutes on 2 cores) or --quick."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    rounds: int  # alternating rounds per timed comparison
    crypto_calls: int  # timeit iterations per round, per contender
    orm_rows: int  # rows read and written by the ORM benchmarks
    orm_rounds: int  # rounds of the ORM benchmarks: short runs, so more rounds against noise
    lookup_rows: int  # rows in the deterministic-lookup tables
    lookups: int  # lookups per round, per contender
    reencrypt_large: int  # rows of the big SQLite re-encryption
    reencrypt_small: int  # rows of the small SQLite run and the PostgreSQL run
    reencrypt_runs: int  # subprocess runs of the small re-encryption (the large one runs once)
    save_loop_rows: int  # rows the peer `obj.save()` loop is timed on
    startup_calls: int  # KeySet constructions per round
    admin_small: int
    admin_large: int


FULL = Sizes(
    rounds=9,
    crypto_calls=30_000,
    orm_rows=20_000,
    orm_rounds=21,
    lookup_rows=100_000,
    lookups=2_000,
    reencrypt_large=1_000_000,
    reencrypt_small=100_000,
    reencrypt_runs=3,
    save_loop_rows=2_000,
    startup_calls=200,
    admin_small=10,
    admin_large=1_000,
)

QUICK = Sizes(
    rounds=3,
    crypto_calls=2_000,
    orm_rows=500,
    orm_rounds=3,
    lookup_rows=2_000,
    lookups=50,
    reencrypt_large=5_000,
    reencrypt_small=1_000,
    reencrypt_runs=1,
    save_loop_rows=30,
    startup_calls=20,
    admin_small=10,
    admin_large=120,
)
