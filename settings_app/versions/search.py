"""Leak search in past versions: which replaced values were exactly this one?

The current value of a setting is searched by `find_secret` in `Setting`; this looks at the
versions it replaced, through their own blind index: nothing is decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, Subquery

from ..fields import BlindIndexField
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


def find_versions_holding(value: str) -> list[VersionMatch]:
    """Every replaced (not current) version whose value is exactly `value`, by key and number."""
    replaced_at = (
        SettingVersion.objects.filter(setting=OuterRef("setting"), version__gt=OuterRef("version"))
        .order_by("version")
        .values("created_at")[:1]
    )
    rows = (
        SettingVersion.objects.filter(
            value_fingerprint__in=_fingerprint_field().index().candidates(value),
            version__lt=F("setting__version"),
        )
        .annotate(replaced_at=Subquery(replaced_at))
        .order_by("setting__key", "version")
        .values_list("setting__key", "version", "replaced_at")
    )
    return [VersionMatch(key, number, when) for key, number, when in rows]


def _fingerprint_field() -> BlindIndexField:
    field = SettingVersion._meta.get_field("value_fingerprint")
    assert isinstance(field, BlindIndexField)
    return field
