"""What can go wrong with versions: one base error and a subclass per failure a caller handles.

Messages name settings, version numbers, people and times; never a value.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.timezone import localtime


class VersionError(Exception):
    """Base of every error about setting versions."""


class VersionConflict(VersionError):
    """The setting is not at the version the writer expected: someone changed it meanwhile."""

    def __init__(
        self,
        key: str,
        *,
        expected: int,
        current: int,
        changed_by: str = "",
        changed_at: datetime | None = None,
    ) -> None:
        self.key = key
        self.expected = expected
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(self._message())

    def _message(self) -> str:
        if self.current == 0:
            return (
                f"{self.key} does not exist (you expected version {self.expected}): it was "
                "deleted or never created. Nothing was saved."
            )
        if self.expected == 0:
            return (
                f"{self.key} already exists (version {self.current}, changed by "
                f"{self.who} at {self.when}); you expected to create it. Nothing was saved."
            )
        return (
            f"{self.key} is at version {self.current}, not {self.expected}: changed by "
            f"{self.who} at {self.when}. Nothing was saved; read the setting again and retry."
        )

    @property
    def who(self) -> str:
        return self.changed_by or "someone"

    @property
    def when(self) -> str:
        return format_moment(self.changed_at)


class VersionNotFound(VersionError):
    """No such version: never written, or pruned by retention."""


class VersionDestroyed(VersionError):
    """The version's ciphertext was destroyed: its value cannot be restored."""


class VersionIsCurrent(VersionError):
    """The current version cannot be destroyed: replace the value, or delete the setting."""


class NothingToRestore(VersionError):
    """The version asked for already holds the current value."""


def format_moment(moment: datetime | None) -> str:
    """`2026-11-25 10:04:12 UTC`: unambiguous in exceptions, logs and command output."""
    if moment is None:
        return "an unknown time"
    return localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")
