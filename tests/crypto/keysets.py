"""Key sets and ciphers built straight from the crypto core, with no Django settings involved."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from settings_app.crypto import DecryptionReason, DeterministicCipher, KeySet, RandomizedCipher
from tests.support.keys import TEST_KEYS

CONTEXT = "testapp.Secret.value"


def make_keyset(
    primary: str = TEST_KEYS["primary"],
    deterministic: str = TEST_KEYS["deterministic"],
    salt: str = TEST_KEYS["salt"],
    primary_fallbacks: Sequence[str] = (),
    deterministic_fallbacks: Sequence[str] = (),
) -> KeySet:
    """The test key set, with any part replaced."""
    return KeySet(
        primary=primary,
        deterministic=deterministic,
        salt=salt,
        primary_fallbacks=primary_fallbacks,
        deterministic_fallbacks=deterministic_fallbacks,
    )


def randomized(
    keyset: KeySet | None = None,
    context: str = CONTEXT,
    *,
    allow_plaintext: bool = False,
    advice: Mapping[DecryptionReason, str] | None = None,
) -> RandomizedCipher:
    keys = (keyset or make_keyset()).randomized
    return RandomizedCipher(keys, context, allow_plaintext=allow_plaintext, advice=advice)


def deterministic(
    keyset: KeySet | None = None,
    context: str = CONTEXT,
    *,
    allow_plaintext: bool = False,
    advice: Mapping[DecryptionReason, str] | None = None,
) -> DeterministicCipher:
    keys = (keyset or make_keyset()).deterministic
    return DeterministicCipher(keys, context, allow_plaintext=allow_plaintext, advice=advice)


Cipher = RandomizedCipher | DeterministicCipher
CIPHER_FACTORIES: dict[str, Callable[..., Cipher]] = {
    "randomized": randomized,
    "deterministic": deterministic,
}
