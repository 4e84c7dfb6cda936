"""Transactions for counters, whose commit need not wait for the disk.

A rate-limit counter or a count of coalesced audit repeats changes on every API read; waiting
for an fsync each time would cost more than the read itself. In these transactions:

- PostgreSQL: `SET LOCAL synchronous_commit TO OFF` (this transaction only);
- SQLite: `PRAGMA synchronous=NORMAL` around the transaction (it cannot change inside one); with
  the write-ahead log the project configures, that syncs at checkpoints, not at every commit.

A crash of the database server (or a power loss) may then forget the last few increments; it
never corrupts anything, and everything else, audit events included, stays fully durable: a
write that must be durable calls `require_durable()`, which refuses to run in a relaxed
transaction (`DurabilityRequired`), and `relaxed_unless_durable()` then runs the whole block
again in a durable one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connections, transaction

T = TypeVar("T")

_relaxed = threading.local()  # .aliases: the databases whose open transaction is relaxed here


class DurabilityRequired(Exception):
    """A durable write was attempted in a relaxed transaction: run it in a durable one."""


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
        # Nested, it is part of the outer transaction: no savepoint to pay for.
        with transaction.atomic(using=using, savepoint=not connection.in_atomic_block):
            if relax and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if relax:
                _relaxed_aliases().add(using)
            try:
                yield
            finally:
                if relax:
                    _relaxed_aliases().discard(using)
    finally:
        if sqlite:
            _set_sqlite_level(using, previous)


def relaxed_unless_durable(using: str, block: Callable[[], T]) -> T:
    """`block()` in one relaxed transaction; if it turns out to write something that must be
    durable (an audit event), the relaxed attempt is rolled back and `block()` runs again in a
    durable transaction. Either way its writes commit once, together.

    `block` must change nothing outside the database: it may run twice."""
    try:
        with relaxed_commit(using):
            return block()
    except DurabilityRequired:
        with transaction.atomic(using=using):
            return block()


def require_durable(using: str) -> None:
    """Refuse (DurabilityRequired) to write something durable in a relaxed transaction."""
    if using in _relaxed_aliases():
        raise DurabilityRequired(
            f"A durable write on {using!r} inside a relaxed transaction: run it in a durable one."
        )


def _relaxed_aliases() -> set[str]:
    if not hasattr(_relaxed, "aliases"):
        _relaxed.aliases = set()
    aliases: set[str] = _relaxed.aliases
    return aliases


def _sqlite_level(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


def _set_sqlite_level(using: str, level: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(f"PRAGMA synchronous={int(level) if level.isdigit() else level}")
