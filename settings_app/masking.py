"""mask() at the path migration 0009 imports it from."""

from __future__ import annotations

from .providers.masking import mask

__all__ = ["mask"]
