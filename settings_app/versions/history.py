"""The rows of a setting's version history, as the admin page shows them: never a value.

Values are compared through their fingerprints (same key id only), so building the page
decrypts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Setting, VerificationStatus
from .models import SettingVersion


@dataclass(frozen=True)
class HistoryRow:
    """One version: number, mask, what changed, who and when, verification, state."""

    number: int
    mask: str
    change: str
    is_new_key: bool
    by: str
    at: datetime
    verification: str
    is_current: bool
    destroyed_by: str
    destroyed_at: datetime | None

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None


def history(setting: Setting) -> list[HistoryRow]:
    """The kept versions of `setting`, newest first."""
    versions = list(setting.versions.defer("value").order_by("version"))
    first_with: dict[str, int] = {}  # fingerprint -> the oldest kept version holding it
    rows = []
    for row in versions:
        earlier = first_with.get(row.value_fingerprint or "")
        rows.append(_row(setting, row, earlier))
        if row.value_fingerprint:
            first_with.setdefault(row.value_fingerprint, row.version)
    return rows[::-1]


def _row(setting: Setting, row: SettingVersion, earlier: int | None) -> HistoryRow:
    change, is_new_key = _change(row, earlier)
    return HistoryRow(
        number=row.version,
        mask=row.mask,
        change=change,
        is_new_key=is_new_key,
        by=row.created_by_label,
        at=row.created_at,
        verification=VerificationStatus(row.verification_status).label,
        is_current=row.version == setting.version,
        destroyed_by=row.destroyed_by_label,
        destroyed_at=row.destroyed_at,
    )


def _change(row: SettingVersion, earlier: int | None) -> tuple[str, bool]:
    """What this version did to the value, and whether it brought a key not held before."""
    if row.version == 1:
        return "first value", True
    if row.restored_from is not None:
        return f"restored version {row.restored_from}", False
    if earlier is not None:
        return f"same key as version {earlier}", False
    return "new key", True
