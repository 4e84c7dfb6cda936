"""Stored texts a field must refuse, one or more per DecryptionReason, for either mode.

Shared by the core's reason tests and the app's advice tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from settings_app.crypto import DecryptionReason, ValueState
from settings_app.crypto.envelope import HEADER_LENGTH
from tests.crypto.keysets import CIPHER_FACTORIES, Cipher, make_keyset
from tests.support.keys import test_key

FOREIGN = make_keyset(test_key("foreign p"), test_key("foreign d"), test_key("foreign s"))
OTHER_MODE = {"randomized": "deterministic", "deterministic": "randomized"}


@dataclass(frozen=True)
class BadInput:
    """A stored text that must be refused, the reason, and whether the header names a key."""

    make: Callable[[str, Cipher], str]  # (mode, the field's cipher) -> the stored text
    reason: DecryptionReason
    state: ValueState
    names_a_key: bool


def _foreign(mode: str, cipher: Cipher) -> str:
    return CIPHER_FACTORIES[mode](FOREIGN).encrypt("sk-foreign")


def _other_mode(mode: str, cipher: Cipher) -> str:
    return CIPHER_FACTORIES[OTHER_MODE[mode]]().encrypt("sk-other-mode")


def _forged(mode: str, cipher: Cipher) -> str:
    envelope = cipher.encrypt("sk-forged")
    first = envelope[HEADER_LENGTH]  # of the payload: the nonce (GCM) or synthetic IV (SIV)
    return envelope[:HEADER_LENGTH] + ("B" if first == "A" else "A") + envelope[HEADER_LENGTH + 1 :]


def key_id_cut_short(mode: str, cipher: Cipher) -> str:
    envelope = cipher.encrypt("sk-damaged")
    return envelope[:8] + envelope[9:]  # one character of the key id deleted


BAD_INPUTS = {
    "legacy plaintext": BadInput(
        lambda mode, cipher: "sk-legacy-0123", DecryptionReason.NOT_ENCRYPTED, "plaintext", False
    ),
    "key id cut short": BadInput(
        key_id_cut_short, DecryptionReason.DAMAGED_HEADER, "damaged", False
    ),
    "future version": BadInput(
        lambda mode, cipher: "$kv2" + cipher.encrypt("sk-next")[4:],
        DecryptionReason.UNSUPPORTED_VERSION,
        "damaged",
        False,
    ),
    "other mode": BadInput(_other_mode, DecryptionReason.WRONG_MODE, "unknown-key", True),
    "foreign key set": BadInput(_foreign, DecryptionReason.UNKNOWN_KEY, "unknown-key", True),
    "forged payload": BadInput(_forged, DecryptionReason.FAILED_AUTHENTICATION, "damaged", True),
    "moved from another field": BadInput(
        lambda mode, cipher: CIPHER_FACTORIES[mode](context="testapp.Other.value").encrypt("x"),
        DecryptionReason.FAILED_AUTHENTICATION,
        "damaged",
        True,
    ),
}
