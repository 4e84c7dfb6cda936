"""Swapped keys: a new key configured as the fallback of the old one silently reverses a rotation.

Swapped after `reencrypt`, most values sit under a fallback key, and the next `reencrypt` moves
them all back to the old key. Swapped before it, the values look current and the new key looks
retirable. `suspected_swaps()` looks for both signs; the last `init_encryption --rotate` in the
audit trail (which records the new key ids, never keys) tells a swap from a rotation that simply
has not been re-encrypted yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ..crypto.keyset import DerivedKey, KeySet
from ..encryption.key_advice import (
    DETERMINISTIC,
    DETERMINISTIC_FALLBACKS,
    PRIMARY,
    PRIMARY_FALLBACKS,
)
from ..models import AuditAction, AuditEvent
from .survey import FieldSurvey


class Rotation(NamedTuple):
    """The key ids the last `init_encryption --rotate` made current, and when."""

    primary_key_id: str
    deterministic_key_id: str
    at: datetime


@dataclass(frozen=True)
class SwapWarning:
    """Signs that `variable` and `fallback_variable` hold each other's keys."""

    variable: str
    fallback_variable: str
    primary_key_id: str
    fallback_key_id: str
    fallback_uses: int  # values and fingerprints under the fallback key
    total: int  # under any configured key of this kind
    rotated_to: str | None = None  # set when the rotation's audit event names the fallback
    rotated_at: datetime | None = None

    @property
    def message(self) -> str:
        if self.rotated_to is None:
            return (
                f"most values ({self.fallback_uses} of {self.total}) are under fallback key "
                f"{self.fallback_key_id} ({self.fallback_variable}), not under key "
                f"{self.primary_key_id} ({self.variable}). Right after a rotation that is "
                "expected until `manage.py reencrypt` has run; if it has run since, the primary "
                "and fallback were probably swapped, and running it again would move every value "
                "back to the old key."
            )
        when = f" on {self.rotated_at:%Y-%m-%d}" if self.rotated_at else ""
        return (
            f"{self.variable} looks swapped with its fallback: `init_encryption --rotate` made "
            f"key {self.rotated_to} the new key{when}, but it is in {self.fallback_variable} "
            f"and key {self.primary_key_id} is in {self.variable} ({self.fallback_uses} of "
            f"{self.total} values are under {self.rotated_to}). Put key {self.rotated_to} back "
            f"in {self.variable} and key {self.primary_key_id} in {self.fallback_variable}: "
            "until then new values are written under the old key, and `manage.py reencrypt` "
            "moves values back to it."
        )


def last_rotation(using: str = "default") -> Rotation | None:
    """What the audit trail says the last `init_encryption --rotate` made current."""
    event = (
        AuditEvent.objects.using(using)
        .filter(action=AuditAction.KEY_SET_ROTATED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is None:
        return None
    details = event.details
    return Rotation(
        str(details.get("new_primary_key_id", "")),
        str(details.get("new_deterministic_key_id", "")),
        event.created_at,
    )


def suspected_swaps(
    surveys: Sequence[FieldSurvey], keyset: KeySet, rotation: Rotation | None
) -> list[SwapWarning]:
    """A warning per kind of key (randomized, deterministic) that looks swapped."""
    families = [
        (PRIMARY, PRIMARY_FALLBACKS, keyset.randomized, False),
        (DETERMINISTIC, DETERMINISTIC_FALLBACKS, keyset.deterministic, True),
    ]
    warnings = []
    for variable, fallback_variable, keys, deterministic in families:
        rotated_to = None
        if rotation is not None:
            rotated_to = rotation.deterministic_key_id if deterministic else rotation.primary_key_id
        found = _swap_in(keys, _uses(surveys, deterministic=deterministic), rotated_to)
        if found is not None:
            warnings.append(
                SwapWarning(variable, fallback_variable, *found, rotated_at=_at(found, rotation))
            )
    return warnings


class _Found(NamedTuple):
    primary_key_id: str
    fallback_key_id: str
    fallback_uses: int
    total: int
    rotated_to: str | None


def _swap_in(
    keys: Sequence[DerivedKey], uses: Counter[str], rotated_to: str | None
) -> _Found | None:
    primary, fallbacks = keys[0].key_id, [key.key_id for key in keys[1:]]
    total = sum(uses[key_id] for key_id in [primary, *fallbacks])
    if rotated_to in fallbacks:  # the key the rotation made current is configured as old
        return _Found(primary, rotated_to, uses[rotated_to], total, rotated_to)
    if rotated_to == primary or not fallbacks:
        return None  # configured as rotated: values under the fallback await reencrypt
    busiest = max(fallbacks, key=lambda key_id: uses[key_id])
    if uses[busiest] * 2 > total:
        return _Found(primary, busiest, uses[busiest], total, None)
    return None


def _uses(surveys: Sequence[FieldSurvey], *, deterministic: bool) -> Counter[str]:
    """Values (and, for deterministic keys, blind index fingerprints) per key id."""
    uses: Counter[str] = Counter()
    for result in surveys:
        if result.deterministic == deterministic:
            for found, count in result.states.items():
                if found.state == "current":
                    uses[result.current_key_id] += count
                elif found.state == "fallback":
                    uses[found.key_id] += count
        if deterministic:
            uses.update(result.index_key_ids)  # fingerprints are under the deterministic keys
    return uses


def _at(found: _Found, rotation: Rotation | None) -> datetime | None:
    return rotation.at if rotation is not None and found.rotated_to is not None else None
