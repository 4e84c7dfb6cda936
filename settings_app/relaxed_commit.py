"""Transactions for counters, whose commit need not wait for the disk.

A rate-limit counter or a count of coalesced audit repeats changes on every API read; waiting
for an fsync each time would cost more than the read itself. In these transactions:

- PostgreSQL: `SET LOCAL synchronous_commit TO OFF` (this transaction only);
- SQLite: `PRAGMA synchronous=NORMAL` around the transaction (it cannot change inside one); with
  the write-ahead log the project configures, that syncs at checkpoints, not at every commit.

A crash of the database server (or a power loss) may then forget the last few increments; it
never corrupts anything, and everything else, audit events included, stays fully durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def relaxed_commit(using: str) -> Iterator[None]:
    """An atomic block whose commit returns before its data is on disk (see above)."""
    connection = connections[using]
    # Inside someone else's transaction, keep it as durable as its owner made it (SQLite could
    # not change the level there anyway, and PostgreSQL's SET LOCAL would outlive this block).
    relax = not connection.in_atomic_block
    sqlite = relax and connection.vendor == "sqlite"
    if sqlite:
        previous = _sqlite_level(using)
        _set_sqlite_level(using, "NORMAL")
    try:
        with transaction.atomic(using=using):
            if relax and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            yield
    finally:
        if sqlite:
            _set_sqlite_level(using, previous)


def _sqlite_level(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


def _set_sqlite_level(using: str, level: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(f"PRAGMA synchronous={int(level) if level.isdigit() else level}")
