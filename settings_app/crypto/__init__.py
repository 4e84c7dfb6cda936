"""The encryption core: key set, envelope format and field ciphers. Knows nothing of Django."""

from __future__ import annotations

from .cipher import DeterministicCipher, FieldCipher, RandomizedCipher, ValueState
from .errors import (
    DecryptionError,
    DecryptionReason,
    EncryptionError,
    KeyConfigurationError,
    KeyProblem,
    KeyRole,
)
from .keyset import DerivedKey, KeySet
from .material import generate_key

__all__ = [
    "DecryptionError",
    "DecryptionReason",
    "DerivedKey",
    "DeterministicCipher",
    "EncryptionError",
    "FieldCipher",
    "KeyConfigurationError",
    "KeyProblem",
    "KeyRole",
    "KeySet",
    "RandomizedCipher",
    "ValueState",
    "generate_key",
]
