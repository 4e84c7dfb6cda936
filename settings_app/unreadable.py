"""UnreadableValue at the path migration 0009 imports it from."""

from __future__ import annotations

from .encryption.unreadable import UnreadableValue

__all__ = ["UnreadableValue"]
