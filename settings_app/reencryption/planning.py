"""What each raw row needs: the compare-and-swap that brings it to the current keys, or nothing.

A field is stale when its envelope is not under the current key, or when its blind index
fingerprint or a credential's per-field fingerprints are missing or not the current key's. A
value that cannot be decrypted makes its whole row a `Failure`: the row is left exactly as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError

from ..crypto import DecryptionError
from .discovery import FieldSpec, ModelSpec
from .raw import Row, Statement


@dataclass(frozen=True)
class Failure:
    """A row with a value that could not be decrypted (the reason never quotes the value)."""

    model: str
    pk: object
    field: str
    reason: str

    @property
    def line(self) -> str:
        return f"FAILED {self.model} pk={self.pk} field={self.field}: {self.reason}"


class Change(NamedTuple):
    """One row's UPDATE: the statement and its parameters (new values, pk, old values)."""

    statement: Statement
    params: list[object]


@dataclass
class BatchPlan:
    """A batch of rows sorted into writes (grouped by statement), current rows and failures."""

    updates: dict[Statement, list[list[object]]] = field(default_factory=dict)
    current: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(len(params) for params in self.updates.values())


def plan_batch(spec: ModelSpec, rows: Sequence[Row]) -> BatchPlan:
    plan = BatchPlan()
    for row in rows:
        change = plan_row(spec, row)
        if change is None:
            plan.current += 1
        elif isinstance(change, Failure):
            plan.failures.append(change)
        else:
            plan.updates.setdefault(change.statement, []).append(change.params)
    return plan


def plan_row(spec: ModelSpec, row: Row) -> Change | Failure | None:
    """The compare-and-swap this row needs; None when every field is current."""
    pk = row[0]
    sets: list[str] = []
    set_params: list[object] = []
    guards: list[str] = []
    guard_params: list[object] = []
    position = 1
    for f in spec.fields:
        width = len(f.columns)
        stored = row[position : position + width]  # laid out as f.columns
        position += width
        try:
            fresh = _fresh_values(f, stored)
        except DecryptionError as error:
            return Failure(spec.label, pk, f.field.name, str(error))
        if fresh:
            for column, value in fresh:
                sets.append(column)
                set_params.append(value)
            guards.append(f.column)
            guard_params.append(stored[0])
    if not sets:
        return None
    return Change(Statement(tuple(sets), tuple(guards)), [*set_params, pk, *guard_params])


def _fresh_values(f: FieldSpec, stored: Row) -> list[tuple[str, str | None]]:
    """(column, new value) for each of this field's columns that is not under the current key;
    `stored` holds the row's values of `f.columns`, the encrypted one first."""
    text = stored[0]
    if not isinstance(text, str):
        return []
    stale_text = not f.cipher.is_current(text)
    if not stale_text and f.index is None and f.fields_index is None:
        return []  # current, and nothing derived from it to check: not even decrypted
    plaintext = f.cipher.decrypt(text)
    fresh: list[tuple[str, str | None]] = []
    if stale_text:
        fresh.append((f.column, f.cipher.encrypt(plaintext)))
    if f.index is not None and f.index_column:
        old = stored[1]
        if not f.index.is_current(old if isinstance(old, str) else None, plaintext):
            fresh.append((f.index_column, f.index.digest(plaintext)))
    fresh += _fresh_field_fingerprints(f, stored[-1], plaintext)
    return fresh


def _fresh_field_fingerprints(
    f: FieldSpec, stored: object, plaintext: str
) -> list[tuple[str, str | None]]:
    """A credential's per-field fingerprints (the field's last column, holding `stored`), when
    missing or not under the current key."""
    column = f.fields_index_column
    if f.fields_index is None or column is None:
        return []
    try:
        expected = f.fields_index.fingerprints(plaintext)
    except ValidationError:
        return []  # no longer a valid credential: left as stored (encryption_status counts it)
    return [] if stored == expected else [(column, expected)]
