"""Which settings hold this exact value? The first question after a key leaks.

Answered through the blind index: the candidate's fingerprint under every deterministic key is
matched against the indexed column, so no stored value is decrypted. Settings written before
they had a fingerprint cannot be found until `manage.py reencrypt` gives them one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Setting
from .providers import clean_whitespace
from .versions.search import VersionMatch, find_versions_holding


@dataclass(frozen=True)
class SecretSearch:
    """The keys of the settings that hold the value, and how many settings were not searched."""

    keys: list[str]
    unindexed: int  # settings without a fingerprint yet
    past: list[VersionMatch]  # replaced versions that held it (a leak may predate a rotation)
    trashed: list[str] = field(default_factory=list)  # deleted keys still in the trash

    @property
    def found(self) -> bool:
        return bool(self.keys or self.past or self.trashed)


def find_settings_holding(value: str) -> SecretSearch:
    """Settings, and kept past versions, whose value equals `value` cleaned as stored values are.

    ValueError when nothing but whitespace is given: an empty search would match nothing.
    """
    candidate = clean_whitespace(value)
    if not candidate:
        raise ValueError("The value to search for is empty.")
    index = Setting._meta.get_field("value_fingerprint").index()
    # The trash too: a deleted key can be restored, so a leak of it still matters.
    rows = Setting._base_manager.filter(value_fingerprint__in=index.candidates(candidate))
    matches = list(rows.order_by("key").values_list("key", "deleted_at"))
    return SecretSearch(
        keys=[key for key, deleted_at in matches if deleted_at is None],
        unindexed=Setting._base_manager.filter(value_fingerprint__isnull=True).count(),
        past=find_versions_holding(candidate),
        trashed=[key for key, deleted_at in matches if deleted_at is not None],
    )
