"""Versions of every setting's value: history without plaintext, rollback without reveal.

- `models.py`: `SettingVersion`, one row per value a setting has held (re-exported by
  `settings_app.models`).
- `tracking.py`: the signal receivers that turn every change of a value into a version, on
  every path (admin, services, plain ORM code).
- `services.py`: `set_value` (check-and-set), `rollback`, `destroy_version`.
- `retention.py`, `search.py`, `history.py`: pruning, leak search, the history page's rows.
- `forms.py`, `admin.py`, `views.py`: the admin's stale-write check, history, restore and
  destroy pages; `checks.py`: KEYVAULT_MAX_VERSIONS in `manage.py check`.
- `errors.py`: `VersionConflict` and the other errors, re-exported here.
"""

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
