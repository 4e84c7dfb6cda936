"""The one error vocabulary of the encryption core: catch EncryptionError for all of it."""

from __future__ import annotations


class EncryptionError(Exception):
    """Base class of every error the encryption core raises."""


class KeyConfigurationError(EncryptionError):
    """The configured key set is missing, malformed, too weak or inconsistent.

    `variable` names the setting at fault and `code` says how it is wrong ("missing",
    "invalid" or "reused"), so that checks and commands can point at it.
    """

    def __init__(self, message: str, *, variable: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.variable = variable
        self.code = code


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted: tampered, misplaced, or under an unknown key.

    Every way a ciphertext can be bad ends here, so callers never branch on details an
    attacker controls. Messages name the field and key id, never plaintext or key material.
    """
