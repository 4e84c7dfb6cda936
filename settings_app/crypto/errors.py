"""The one error vocabulary of the encryption core: catch EncryptionError for all of it.

Each error says what is wrong (`problem`) and carries machine-readable fields, so the layer
that configured the core can add what to do (`advice`) in its own words: the core names no
setting, command or framework.
"""

from __future__ import annotations

import enum


class EncryptionError(Exception):
    """Base class of every error the encryption core raises."""

    def __init__(self, problem: str, *, advice: str = "") -> None:
        super().__init__(f"{problem} {advice}" if advice else problem)
        self.problem = problem
        self.advice = advice


class KeyRole(enum.Enum):
    """What a configured key is for; the caller decides what each role is called."""

    PRIMARY = "primary"
    PRIMARY_FALLBACKS = "primary_fallbacks"
    DETERMINISTIC = "deterministic"
    DETERMINISTIC_FALLBACKS = "deterministic_fallbacks"
    SALT = "salt"


class KeyProblem(enum.StrEnum):
    """How a configured key is wrong."""

    MISSING = "missing"
    INVALID = "invalid"  # malformed, too short, not random, or an ambiguous key id
    REUSED = "reused"  # the same material in two places
    TEXT = "text"  # decodes to printable text: a passphrase in base64, not random bytes
    SHARED = "shared"  # the same material as a secret used outside the key set


class KeyConfigurationError(EncryptionError):
    """The configured key set is missing, malformed, too weak or inconsistent.

    `role` says which key is at fault and `code` how it is wrong, so that checks and commands
    can point at the setting that holds it.
    """

    def __init__(
        self,
        problem: str,
        *,
        role: KeyRole,
        code: KeyProblem = KeyProblem.INVALID,
        advice: str = "",
    ) -> None:
        super().__init__(problem, advice=advice)
        self.role = role
        self.code = code


class DecryptionReason(enum.Enum):
    """Why a stored value could not be decrypted."""

    NOT_ENCRYPTED = "not_encrypted"  # no envelope at all, and plaintext is not allowed
    DAMAGED_HEADER = "damaged_header"  # looks like an envelope, but its header is unreadable
    UNSUPPORTED_VERSION = "unsupported_version"  # an envelope format this code does not read
    WRONG_MODE = "wrong_mode"  # randomized in a deterministic field, or the other way round
    UNKNOWN_KEY = "unknown_key"  # under a key id that is not configured for the field
    FAILED_AUTHENTICATION = "failed_authentication"  # altered, misplaced, or a foreign key


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted: tampered, misplaced, or under an unknown key.

    Every way a ciphertext can be bad ends here, so callers never need another except clause.
    `reason`, `context` (the field) and `key_id` (when the header names one) are for reports
    and advice, never for deciding whether to trust a value: nothing but a successful decrypt
    does that. Messages name the field and key id, never plaintext or key material.
    """

    def __init__(
        self,
        problem: str,
        *,
        reason: DecryptionReason,
        context: str = "",
        key_id: str | None = None,
        advice: str = "",
    ) -> None:
        super().__init__(problem, advice=advice)
        self.reason = reason
        self.context = context
        self.key_id = key_id
