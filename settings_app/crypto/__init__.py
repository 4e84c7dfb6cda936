"""The encryption core: key set, envelope format and field ciphers. Knows nothing of Django."""

from __future__ import annotations

from .cipher import DeterministicCipher, FieldCipher, RandomizedCipher
from .errors import DecryptionError, EncryptionError, KeyConfigurationError
from .keyset import DerivedKey, KeySet
from .material import generate_key

__all__ = [
    "DecryptionError",
    "DerivedKey",
    "DeterministicCipher",
    "EncryptionError",
    "FieldCipher",
    "KeyConfigurationError",
    "KeySet",
    "RandomizedCipher",
    "generate_key",
]
