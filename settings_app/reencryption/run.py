"""Re-encryption and survey of every encrypted column, straight on the raw values.

`reencrypt()` moves legacy plaintext and values under fallback keys to the current key. It
reads raw column values in primary-key order with keyset pagination (memory stays flat), and
writes with compare-and-swap (`... WHERE pk = %s AND col = <old value>`), each batch in its
own transaction: an edit made while it runs is never overwritten, and a run killed at any
moment can simply be run again. `survey()` counts values by state and key id for
`encryption_status` and `reencrypt --dry-run`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.db import connections, models, transaction

from .crypto import DecryptionError, FieldCipher
from .crypto.blind_index import BlindIndex
from .fields import BlindIndexField, EncryptedTextField

MAX_REPORTED_FAILURES = 100
_MAX_PARAMETERS = 60_000  # PostgreSQL allows 65,535 per statement


@dataclass(frozen=True)
class FieldSpec:
    """One encrypted column, with the blind index column that tracks it, if any."""

    field: EncryptedTextField
    column: str
    cipher: FieldCipher
    index: BlindIndex | None = None
    index_column: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    model: type[models.Model]
    fields: tuple[FieldSpec, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label


class Statement(NamedTuple):
    """A compare-and-swap UPDATE: columns it sets, columns whose old value must still match."""

    sets: tuple[str, ...]
    guards: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    model: str
    pk: object
    field: str
    reason: str


@dataclass
class ReencryptReport:
    scanned: int = 0
    updated: int = 0
    current: int = 0
    conflicts: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.scanned / self.seconds if self.seconds else 0.0

    def fail(self, failure: Failure) -> None:
        self.failed += 1
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append(failure)


@dataclass
class FieldSurvey:
    """Values of one column by state: current, fallback:<key id>, plaintext, unknown-key:<id>..."""

    label: str
    deterministic: bool
    current_key_id: str
    states: Counter[str] = field(default_factory=Counter)
    index_key_ids: Counter[str] = field(default_factory=Counter)

    @property
    def problems(self) -> int:
        return sum(n for state, n in self.states.items() if state not in ("current", "null"))


def encrypted_models(labels: Sequence[str] = ()) -> list[ModelSpec]:
    """Models with encrypted fields: all of them, or those named `app_label.Model`."""
    wanted = [apps.get_model(label) for label in labels] if labels else apps.get_models()
    specs = []
    for model in wanted:
        fields = tuple(_field_specs(model))
        if fields:
            specs.append(ModelSpec(model, fields))
    if labels and len(specs) != len(wanted):
        plain = sorted({m._meta.label for m in wanted} - {s.label for s in specs})
        raise ValueError(f"{', '.join(plain)} has no encrypted field.")
    return specs


def _field_specs(model: type[models.Model]) -> Iterator[FieldSpec]:
    local = [f for f in model._meta.local_concrete_fields]
    indexes = {f.source: f for f in local if isinstance(f, BlindIndexField)}
    for f in local:
        if isinstance(f, EncryptedTextField):
            index_field = indexes.get(f.name)
            yield FieldSpec(
                field=f,
                column=str(f.column),
                cipher=f.cipher(),
                index=index_field.index() if index_field else None,
                index_column=index_field.column if index_field else None,
            )


def _columns(spec: ModelSpec) -> list[str]:
    columns = []
    for f in spec.fields:
        columns.append(f.column)
        if f.index_column:
            columns.append(f.index_column)
    return columns


def iterate_raw(
    spec: ModelSpec, batch_size: int, using: str = "default"
) -> Iterator[list[tuple[object, ...]]]:
    """Batches of raw rows (pk, then each column), in pk order, by keyset pagination."""
    connection = connections[using]
    quote = connection.ops.quote_name
    pk = quote(_pk_column(spec))
    selected = ", ".join([pk, *(quote(c) for c in _columns(spec))])
    table = quote(spec.model._meta.db_table)
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


def _pk_column(spec: ModelSpec) -> str:
    pk = spec.model._meta.pk
    assert pk is not None  # every concrete model has one
    return str(pk.column)


def count_rows(spec: ModelSpec, using: str = "default") -> int:
    return spec.model._base_manager.using(using).count()


def reencrypt(
    specs: Sequence[ModelSpec],
    *,
    batch_size: int = 1000,
    using: str = "default",
    progress: Callable[[int], None] = lambda rows: None,
) -> ReencryptReport:
    """Bring every value to the current key; see the module docstring for the guarantees."""
    report = ReencryptReport()
    started = time.perf_counter()
    for spec in specs:
        for rows in iterate_raw(spec, batch_size, using):
            updates: dict[Statement, list[list[object]]] = {}
            for row in rows:
                change = _plan_row(spec, row, report)
                if change is not None:
                    statement, params = change
                    updates.setdefault(statement, []).append(params)
            planned = sum(len(p) for p in updates.values())
            written = _write(spec, updates, using)
            report.updated += written
            report.conflicts += planned - written
            report.scanned += len(rows)
            progress(len(rows))
    report.seconds = time.perf_counter() - started
    return report


def _plan_row(
    spec: ModelSpec, row: tuple[object, ...], report: ReencryptReport
) -> tuple[Statement, list[object]] | None:
    """The (columns, params) of the compare-and-swap UPDATE this row needs, or None."""
    pk, values = row[0], row[1:]
    sets: list[str] = []
    set_params: list[object] = []
    where_columns: list[str] = []
    where_params: list[object] = []
    position = 0
    for f in spec.fields:
        text = values[position]
        fingerprint = values[position + 1] if f.index_column else None
        position += 2 if f.index_column else 1
        if not isinstance(text, str):
            continue
        stale_text = not f.cipher.is_current(text)
        if not stale_text and f.index is None:
            continue  # current, and nothing derived from it to check: not even decrypted
        try:
            plaintext = f.cipher.decrypt(text)
        except DecryptionError as error:
            report.fail(Failure(spec.label, pk, f.field.name, str(error)))
            return None
        stale_index = f.index is not None and not f.index.is_current(
            fingerprint if isinstance(fingerprint, str) else None, plaintext
        )
        if not (stale_text or stale_index):
            continue
        if stale_text:
            sets.append(f.column)
            set_params.append(f.cipher.encrypt(plaintext))
        if stale_index and f.index is not None and f.index_column:
            sets.append(f.index_column)
            set_params.append(f.index.digest(plaintext))
        where_columns.append(f.column)
        where_params.append(text)
    if not sets:
        report.current += 1
        return None
    return Statement(tuple(sets), tuple(where_columns)), [*set_params, pk, *where_params]


def _write(spec: ModelSpec, updates: dict[Statement, list[list[object]]], using: str) -> int:
    """Run the planned compare-and-swap UPDATEs in one transaction; returns rows written."""
    if not updates:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(spec.model._meta.db_table)
    pk = quote(_pk_column(spec))
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


def survey(specs: Sequence[ModelSpec], *, using: str = "default") -> list[FieldSurvey]:
    """Count every value of every encrypted column by state, decrypting each to verify it."""
    surveys = []
    for spec in specs:
        per_field = [
            FieldSurvey(
                f"{spec.label}.{f.field.name}", f.field.deterministic, f.cipher.current_key_id
            )
            for f in spec.fields
        ]
        for rows in iterate_raw(spec, 1000, using):
            for row in rows:
                position = 1
                for f, result in zip(spec.fields, per_field, strict=True):
                    text = row[position]
                    if f.index_column:
                        fingerprint = row[position + 1]
                        if isinstance(fingerprint, str):
                            result.index_key_ids[fingerprint.split(":", 1)[0]] += 1
                    position += 2 if f.index_column else 1
                    result.states[_state(f.cipher, text)] += 1
        surveys.extend(per_field)
    return surveys


def _state(cipher: FieldCipher, text: object) -> str:
    if not isinstance(text, str):
        return "null"
    state = cipher.classify(text)
    if state in ("fallback", "unknown-key"):
        return f"{state}:{cipher.key_id_of(text)}"
    return state
