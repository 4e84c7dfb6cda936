"""Raw SQL on encrypted columns: keyset-paginated reads and compare-and-swap writes.

Raw, so that no value is decrypted or re-encrypted by the ORM on its way through, and so that
a write can say "only if the column still holds what was read" (`WHERE pk = %s AND col = %s`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from django.db import connections, transaction

from .discovery import ModelSpec

_MAX_PARAMETERS = 60_000  # PostgreSQL allows 65,535 per statement

Row = tuple[object, ...]


class Statement(NamedTuple):
    """A compare-and-swap UPDATE: columns it sets, columns whose old value must still match.

    Its parameters, per row: the new values of `sets`, the pk, the old values of `guards`.
    """

    sets: tuple[str, ...]
    guards: tuple[str, ...]


def iterate_raw(spec: ModelSpec, batch_size: int, using: str = "default") -> Iterator[list[Row]]:
    """Batches of raw rows (pk, then `spec.columns`), in pk order, by keyset pagination."""
    connection = connections[using]
    quote = connection.ops.quote_name
    pk = quote(spec.pk_column)
    selected = ", ".join([pk, *(quote(c) for c in spec.columns)])
    table = quote(spec.table)
    first = f"SELECT {selected} FROM {table} ORDER BY {pk} LIMIT %s"  # noqa: S608 (quoted names)
    after = f"SELECT {selected} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"  # noqa: S608
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(first, [batch_size])
            else:
                cursor.execute(after, [last, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def compare_and_swap(
    spec: ModelSpec, updates: dict[Statement, list[list[object]]], using: str = "default"
) -> int:
    """Run the planned UPDATEs in one transaction; returns the rows written.

    A row whose guarded columns changed since they were read is not written (and not counted).
    """
    if not updates:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(spec.table)
    pk = quote(spec.pk_column)
    written = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement, rows in updates.items():
            if connection.vendor == "postgresql":
                written += _update_from_values(cursor, quote, table, pk, statement, rows)
                continue
            assignments = ", ".join(f"{quote(c)} = %s" for c in statement.sets)
            guards = "".join(f" AND {quote(c)} = %s" for c in statement.guards)
            sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s{guards}"  # noqa: S608
            cursor.executemany(sql, rows)  # type: ignore[arg-type]
            written += cursor.rowcount  # rows whose old value still matched
    return written


def _update_from_values(
    cursor: Any,
    quote: Callable[[str], str],
    table: str,
    pk: str,
    statement: Statement,
    rows: list[list[object]],
) -> int:
    """PostgreSQL: one `UPDATE ... FROM (VALUES ...)` per chunk instead of a statement per row
    (a round trip each); the guards keep it a compare-and-swap, and rowcount counts writes."""
    news = [f"n{i}" for i in range(len(statement.sets))]
    olds = [f"o{i}" for i in range(len(statement.guards))]
    assignments = ", ".join(
        f"{quote(c)} = v.{n}" for c, n in zip(statement.sets, news, strict=True)
    )
    guards = "".join(
        f" AND t.{quote(c)} = v.{o}" for c, o in zip(statement.guards, olds, strict=True)
    )
    names = ", ".join([*news, "pk", *olds])
    placeholder = "(" + ", ".join(["%s"] * (len(news) + 1 + len(olds))) + ")"
    per_chunk = max(1, _MAX_PARAMETERS // (len(news) + 1 + len(olds)))
    written = 0
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        sql = (
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 (quoted names)
            f"FROM (VALUES {', '.join([placeholder] * len(chunk))}) AS v({names}) "
            f"WHERE t.{pk} = v.pk{guards}"
        )
        cursor.execute(sql, [param for row in chunk for param in row])
        written += cursor.rowcount
    return written
