"""What the app calls each part of the key set, and what it tells people to do about errors.

The encryption core speaks in roles (`KeyRole`) and reasons (`DecryptionReason`); this module
is the one place that turns them into `KEYVAULT_*` setting names and `manage.py` advice.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..crypto import (
    DecryptionError,
    DecryptionReason,
    EncryptionError,
    KeyConfigurationError,
    KeyProblem,
    KeyRole,
)

PRIMARY = "KEYVAULT_PRIMARY_KEY"
PRIMARY_FALLBACKS = "KEYVAULT_PRIMARY_KEY_FALLBACKS"
DETERMINISTIC = "KEYVAULT_DETERMINISTIC_KEY"
DETERMINISTIC_FALLBACKS = "KEYVAULT_DETERMINISTIC_KEY_FALLBACKS"
SALT = "KEYVAULT_KEY_DERIVATION_SALT"
SUPPORT_UNENCRYPTED_DATA = "KEYVAULT_SUPPORT_UNENCRYPTED_DATA"

VARIABLES: Mapping[KeyRole, str] = {
    KeyRole.PRIMARY: PRIMARY,
    KeyRole.PRIMARY_FALLBACKS: PRIMARY_FALLBACKS,
    KeyRole.DETERMINISTIC: DETERMINISTIC,
    KeyRole.DETERMINISTIC_FALLBACKS: DETERMINISTIC_FALLBACKS,
    KeyRole.SALT: SALT,
}

KEY_ADVICE = (
    "Run `python manage.py init_encryption` to generate a key set, store it in the environment "
    "(or *_FILE secrets), and keep a backup: without the keys no value can be read."
)

_ROTATE_AWAY = (
    "run `python manage.py init_encryption --rotate` (add --include-deterministic for the "
    "deterministic key): it keeps this key as a fallback until `python manage.py reencrypt` has "
    "moved its values. On a new deployment, use the key set `python manage.py init_encryption` "
    "prints."
)
KEY_PROBLEM_ADVICE: Mapping[KeyProblem, str] = {
    KeyProblem.TEXT: (
        "Key material must be random bytes, never an encoded passphrase: " + _ROTATE_AWAY
    ),
    KeyProblem.SHARED: (
        "SECRET_KEY signs sessions and is often kept less carefully than the key set; give the "
        "key set its own material: " + _ROTATE_AWAY
    ),
}

_RESTORE = "Restore the value from a backup, or enter it again."
DECRYPTION_ADVICE: Mapping[DecryptionReason, str] = {
    DecryptionReason.NOT_ENCRYPTED: (
        f"To migrate legacy plaintext: set {SUPPORT_UNENCRYPTED_DATA}=true, run `python "
        "manage.py reencrypt`, then turn the setting off again."
    ),
    DecryptionReason.DAMAGED_HEADER: _RESTORE,
    DecryptionReason.UNSUPPORTED_VERSION: (
        "A newer keyvault wrote it: upgrade this deployment before reading it."
    ),
    DecryptionReason.WRONG_MODE: (
        "Was the field's deterministic option changed? Set it back: a stored value keeps the "
        "mode it was written in."
    ),
    DecryptionReason.UNKNOWN_KEY: (
        f"If it was a fallback key, it was removed too early: put it back in {PRIMARY_FALLBACKS} "
        f"(or {DETERMINISTIC_FALLBACKS} for a deterministic field), run `python manage.py "
        "reencrypt`, and retire it once `python manage.py encryption_status` says so."
    ),
    DecryptionReason.FAILED_AUTHENTICATION: _RESTORE,
}


def advice_for(error: EncryptionError) -> str:
    """What to do about `error`, naming the settings and commands involved."""
    if isinstance(error, DecryptionError):
        return DECRYPTION_ADVICE[error.reason]
    if isinstance(error, KeyConfigurationError):
        return KEY_PROBLEM_ADVICE.get(error.code, KEY_ADVICE)
    return ""


def explain(error: EncryptionError) -> str:
    """What is wrong and what to do, as one message for the admin and the commands."""
    advice = advice_for(error)
    return f"{error.problem} {advice}" if advice else error.problem


def with_advice(error: KeyConfigurationError) -> KeyConfigurationError:
    """The same error, its message ending in what to do."""
    return KeyConfigurationError(
        error.problem, role=error.role, code=error.code, advice=advice_for(error)
    )
