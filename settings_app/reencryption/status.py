"""`encryption_status()`: the survey, read as an operator's answer.

Which fallback keys no stored value names any more (they can be retired), which are still in
use and by how many values, how many values are a problem (plaintext, or unreadable), whether
a primary key looks swapped with its fallback (`swaps`), and whether the configured keys are
those that wrote the data (`key_check`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..crypto.keyset import KeySet
from ..encryption import keyring
from ..encryption.key_advice import DETERMINISTIC_FALLBACKS, PRIMARY_FALLBACKS
from ..key_check.service import KeyCheckResult, KeyCheckState, check_keys
from .discovery import encrypted_models
from .survey import FieldSurvey, survey
from .swaps import SwapWarning, last_rotation, suspected_swaps


@dataclass(frozen=True)
class FallbackKey:
    """A configured fallback key, and how many stored values and fingerprints still name it."""

    variable: str  # the setting that lists it
    key_id: str
    uses: int

    @property
    def retirable(self) -> bool:
        return self.uses == 0


@dataclass(frozen=True)
class EncryptionStatus:
    surveys: list[FieldSurvey]
    fallbacks: list[FallbackKey]
    swaps: list[SwapWarning] = field(default_factory=list)  # primary and fallback swapped?
    key_check: KeyCheckResult = field(  # are these the keys that wrote the data?
        default_factory=lambda: KeyCheckResult(KeyCheckState.MISSING)
    )

    @property
    def problems(self) -> int:
        """Plaintext and undecryptable values: while there are any, the status is a failure."""
        return sum(result.problems for result in self.surveys)

    @property
    def retirable_fallbacks(self) -> list[FallbackKey]:
        return [key for key in self.fallbacks if key.retirable]

    @property
    def fallbacks_in_use(self) -> list[FallbackKey]:
        return [key for key in self.fallbacks if not key.retirable]


def fallback_keys(surveys: Sequence[FieldSurvey], keyset: KeySet) -> list[FallbackKey]:
    """Every configured fallback key (primary ones first), with its uses in `surveys`."""
    uses: Counter[str] = Counter()
    for result in surveys:
        uses.update(result.key_uses)
    configured = [(PRIMARY_FALLBACKS, key) for key in keyset.randomized[1:]]
    configured += [(DETERMINISTIC_FALLBACKS, key) for key in keyset.deterministic[1:]]
    return [FallbackKey(variable, key.key_id, uses[key.key_id]) for variable, key in configured]


def encryption_status(*, using: str = "default") -> EncryptionStatus:
    """Survey every encrypted column and judge each fallback key; EncryptionError if the
    key configuration itself is broken."""
    keyset = keyring.get_keyset()
    surveys = survey(encrypted_models(), using=using)
    swaps = suspected_swaps(surveys, keyset, last_rotation(using))
    return EncryptionStatus(surveys, fallback_keys(surveys, keyset), swaps, check_keys(using))
