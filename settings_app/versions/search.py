"""Leak search: which settings, and which of their replaced versions, hold exactly this value.

Answered through the blind indexes: the candidate's fingerprint under every deterministic key is
matched against the indexed columns, so no stored value is decrypted. A structured credential
is found by any one secret field, in its current value and in its past versions. Rows written
before they had a fingerprint (or, for versions, per-field fingerprints) cannot be found until
`manage.py reencrypt` gives them one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, OuterRef, Q, Subquery

from ..credentials.index import holding_any
from ..encryption.fields import BlindIndexField
from ..models import Setting
from ..providers import clean_whitespace
from .errors import format_moment
from .models import SettingVersion


@dataclass(frozen=True)
class VersionMatch:
    """A past version that held the value, and when the next version replaced it."""

    setting_key: str
    version: int
    replaced_at: datetime | None

    def describe(self) -> str:
        """e.g. "held by openai_api_key version 3, replaced 2026-11-25 10:04:12 UTC"."""
        return (
            f"held by {self.setting_key} version {self.version}, "
            f"replaced {format_moment(self.replaced_at)}"
        )


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
    fingerprints = index.candidates(candidate)
    # A structured credential is found by any one of its secret fields; the trash is searched
    # too: a deleted key can be restored, so a leak of it still matters.
    holding = Q(value_fingerprint__in=fingerprints) | holding_any(fingerprints)
    rows = Setting._base_manager.filter(holding)
    matches = list(rows.order_by("key").values_list("key", "deleted_at"))
    return SecretSearch(
        keys=[key for key, deleted_at in matches if deleted_at is None],
        unindexed=Setting._base_manager.filter(value_fingerprint__isnull=True).count(),
        past=find_versions_holding(candidate),
        trashed=[key for key, deleted_at in matches if deleted_at is not None],
    )


def find_versions_holding(value: str) -> list[VersionMatch]:
    """Every replaced (not current) version whose value, or one of whose secret fields, is
    exactly `value`, by key and number."""
    replaced_at = (
        SettingVersion.objects.filter(setting=OuterRef("setting"), version__gt=OuterRef("version"))
        .order_by("version")
        .values("created_at")[:1]
    )
    fingerprints = _fingerprint_field().index().candidates(value)
    holding = Q(value_fingerprint__in=fingerprints) | holding_any(fingerprints)
    rows = (
        SettingVersion.objects.filter(holding, version__lt=F("setting__version"))
        .annotate(replaced_at=Subquery(replaced_at))
        .order_by("setting__key", "version")
        .values_list("setting__key", "version", "replaced_at")
    )
    return [VersionMatch(key, number, when) for key, number, when in rows]


def _fingerprint_field() -> BlindIndexField:
    field = SettingVersion._meta.get_field("value_fingerprint")
    assert isinstance(field, BlindIndexField)
    return field
