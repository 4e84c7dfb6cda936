"""DeletedSetting, the trashed settings: defined next to Setting in `settings_app/models.py`
(a proxy of it, so importing it here would make a cycle) and named here for this package."""

from __future__ import annotations

from ..models import DeletedSetting, TrashManager

__all__ = ["DeletedSetting", "TrashManager"]
