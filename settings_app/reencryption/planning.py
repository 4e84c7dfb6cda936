"""What each raw row needs: the compare-and-swap that brings it to the current keys, or nothing.

A field is stale when its envelope is not under the current key, or when its blind index
fingerprint is missing or not the current key's. A value that cannot be decrypted makes its
whole row a `Failure`: the row is left exactly as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

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
        text = row[position]
        fingerprint = row[position + 1] if f.index_column else None
        position += 2 if f.index_column else 1
        try:
            fresh = _fresh_values(f, text, fingerprint)
        except DecryptionError as error:
            return Failure(spec.label, pk, f.field.name, str(error))
        if fresh:
            for column, value in fresh:
                sets.append(column)
                set_params.append(value)
            guards.append(f.column)
            guard_params.append(text)
    if not sets:
        return None
    return Change(Statement(tuple(sets), tuple(guards)), [*set_params, pk, *guard_params])


def _fresh_values(f: FieldSpec, text: object, fingerprint: object) -> list[tuple[str, str]]:
    """(column, new value) for each of this field's columns that is not under the current key."""
    if not isinstance(text, str):
        return []
    stale_text = not f.cipher.is_current(text)
    if not stale_text and f.index is None:
        return []  # current, and nothing derived from it to check: not even decrypted
    plaintext = f.cipher.decrypt(text)
    fresh = [(f.column, f.cipher.encrypt(plaintext))] if stale_text else []
    if f.index is not None and f.index_column:
        old = fingerprint if isinstance(fingerprint, str) else None
        if not f.index.is_current(old, plaintext):
            fresh.append((f.index_column, f.index.digest(plaintext)))
    return fresh
