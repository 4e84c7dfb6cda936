"""The encrypted fields at the path developers and migrations import them from."""

from __future__ import annotations

from .encryption.fields import (
    BlindIndexField,
    EncryptedManager,
    EncryptedQuerySet,
    EncryptedTextField,
)
from .encryption.unreadable import UnreadableValue, readable

__all__ = [
    "BlindIndexField",
    "EncryptedManager",
    "EncryptedQuerySet",
    "EncryptedTextField",
    "UnreadableValue",
    "readable",
]
