"""The encrypted fields at the path developers and migrations import them from."""

from __future__ import annotations

from .encryption.fields import (
    BlindIndexField,
    EncryptedManager,
    EncryptedQuerySet,
    EncryptedTextField,
)
from .encryption.unreadable import UnreadableValue, require_readable

readable = require_readable  # its earlier name, kept for code that imports it from here

__all__ = [
    "BlindIndexField",
    "EncryptedManager",
    "EncryptedQuerySet",
    "EncryptedTextField",
    "UnreadableValue",
    "readable",
    "require_readable",
]
