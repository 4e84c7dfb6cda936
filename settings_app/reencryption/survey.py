"""The survey: every stored value of every encrypted column, counted by state and key id.

Each value is decrypted to verify it, so a count of "current" means "readable under the
current key", not merely "labelled so". `reencrypt --dry-run` and `encryption_status` show it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from ..credentials.index import key_ids
from ..crypto import FieldCipher
from .discovery import ModelSpec
from .raw import Row, iterate_raw

SurveyState = Literal["null", "current", "fallback", "plaintext", "unknown-key", "damaged"]
PROBLEM_STATES: frozenset[SurveyState] = frozenset({"plaintext", "unknown-key", "damaged"})
_KEYED_STATES = ("fallback", "unknown-key")  # the states whose key id matters to an operator


class Classification(NamedTuple):
    """A stored value's state, with the key id its envelope names when that matters."""

    state: SurveyState
    key_id: str = ""

    def __str__(self) -> str:
        return f"{self.state}:{self.key_id}" if self.key_id else self.state


@dataclass
class FieldSurvey:
    """The values of one column by classification, and its fingerprints by key id."""

    label: str
    deterministic: bool
    current_key_id: str
    states: Counter[Classification] = field(default_factory=Counter)
    index_key_ids: Counter[str] = field(default_factory=Counter)

    @property
    def problems(self) -> int:
        """Values that are plaintext or cannot be decrypted (damaged, or under an unknown key)."""
        return sum(n for found, n in self.states.items() if found.state in PROBLEM_STATES)

    @property
    def key_uses(self) -> Counter[str]:
        """Stored values and fingerprints per key id they name (the current key's aside)."""
        uses: Counter[str] = Counter()
        for found, n in self.states.items():
            if found.key_id:
                uses[found.key_id] += n
        uses.update(self.index_key_ids)
        return uses


def classify(cipher: FieldCipher, text: object) -> Classification:
    """Where one raw column value stands under `cipher` (it is decrypted to verify it)."""
    if not isinstance(text, str):
        return Classification("null")
    state = cipher.classify(text)
    if state in _KEYED_STATES:
        return Classification(state, cipher.key_id_of(text) or "")
    return Classification(state)


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
                _count(spec, row, per_field)
        surveys.extend(per_field)
    return surveys


def _count(spec: ModelSpec, row: Row, per_field: list[FieldSurvey]) -> None:
    position = 1
    for f, result in zip(spec.fields, per_field, strict=True):
        stored = row[position : position + len(f.columns)]  # laid out as f.columns
        position += len(f.columns)
        result.states[classify(f.cipher, stored[0])] += 1
        fingerprint = stored[1] if f.index_column else None
        if isinstance(fingerprint, str):  # "<key id>:<digest>", see crypto.blind_index
            result.index_key_ids[fingerprint.split(":", 1)[0]] += 1
        field_fingerprints = stored[-1] if f.fields_index_column else None
        if isinstance(field_fingerprints, str):  # a credential's: the same form, space-separated
            result.index_key_ids.update(key_ids(field_fingerprints))
