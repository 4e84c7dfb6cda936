"""Versions of every setting's value: history without plaintext, rollback without reveal."""

from __future__ import annotations

from .errors import (
    NothingToRestore,
    VersionConflict,
    VersionDestroyed,
    VersionError,
    VersionIsCurrent,
    VersionNotFound,
)

__all__ = [
    "NothingToRestore",
    "VersionConflict",
    "VersionDestroyed",
    "VersionError",
    "VersionIsCurrent",
    "VersionNotFound",
]
