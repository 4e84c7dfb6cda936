"""The key set: validated key material and the purpose-specific keys HKDF derives from it.

One primary key (randomized encryption), one deterministic key (deterministic encryption and
the blind index), their fallbacks (older keys that still decrypt) and the key-derivation salt.
Each purpose gets its own HKDF-SHA256 output, so no derived key ever serves two purposes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import KeyConfigurationError
from .material import HOW_TO_FIX, decode_key

# HKDF `info` labels: one per purpose, versioned so a future scheme can never reuse a key.
INFO_RANDOMIZED = b"keyvault/v1/randomized/aes-256-gcm"
INFO_DETERMINISTIC = b"keyvault/v1/deterministic/aes-256-siv"
INFO_BLIND_INDEX = b"keyvault/v1/blind-index/hmac-sha256"
KEY_ID_LENGTH = 8  # hex characters of the fingerprint stored in every envelope

PRIMARY = "KEYVAULT_PRIMARY_KEY"
PRIMARY_FALLBACKS = "KEYVAULT_PRIMARY_KEY_FALLBACKS"
DETERMINISTIC = "KEYVAULT_DETERMINISTIC_KEY"
DETERMINISTIC_FALLBACKS = "KEYVAULT_DETERMINISTIC_KEY_FALLBACKS"
SALT = "KEYVAULT_KEY_DERIVATION_SALT"


@dataclass(frozen=True)
class DerivedKey:
    """A derived key and its public fingerprint; `repr()` shows the fingerprint only."""

    key_id: str
    secret: bytes = field(repr=False)


def fingerprint(secret: bytes) -> str:
    """Public key id of a derived key: a truncated SHA-256, which reveals nothing of the key."""
    return hashlib.sha256(b"keyvault/v1/key-id\x00" + secret).hexdigest()[:KEY_ID_LENGTH]


def derive(master: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 of one master key for one purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(master)


class KeySet:
    """Validated key material and the keys derived from it, current key first in each tuple."""

    def __init__(
        self,
        *,
        primary: str,
        deterministic: str,
        salt: str,
        primary_fallbacks: Sequence[str] = (),
        deterministic_fallbacks: Sequence[str] = (),
    ) -> None:
        named = [(PRIMARY, primary), (DETERMINISTIC, deterministic), (SALT, salt)]
        named += [(PRIMARY_FALLBACKS, key) for key in primary_fallbacks]
        named += [(DETERMINISTIC_FALLBACKS, key) for key in deterministic_fallbacks]
        raw = [(variable, decode_key(variable, text)) for variable, text in named]
        _refuse_reuse(raw)
        salt_bytes = raw[2][1]
        primaries = [raw[0][1]] + [k for v, k in raw[3:] if v == PRIMARY_FALLBACKS]
        deterministics = [raw[1][1]] + [k for v, k in raw[3:] if v == DETERMINISTIC_FALLBACKS]
        self.randomized = _derive_all(primaries, salt_bytes, INFO_RANDOMIZED, 32, PRIMARY)
        self.deterministic = _derive_all(
            deterministics, salt_bytes, INFO_DETERMINISTIC, 64, DETERMINISTIC
        )
        # The blind index shares the deterministic key's id: retiring that key retires both.
        self.blind_index = tuple(
            DerivedKey(key.key_id, derive(master, salt_bytes, INFO_BLIND_INDEX, 32))
            for key, master in zip(self.deterministic, deterministics, strict=True)
        )

    def __repr__(self) -> str:
        randomized = ",".join(key.key_id for key in self.randomized)
        deterministic = ",".join(key.key_id for key in self.deterministic)
        return f"<KeySet randomized=[{randomized}] deterministic=[{deterministic}]>"


def _refuse_reuse(raw: Iterable[tuple[str, bytes]]) -> None:
    """A key must serve exactly one purpose: every configured value has to be distinct."""
    seen: dict[bytes, str] = {}
    for variable, key in raw:
        if key in seen:
            first = seen[key]
            where = f"twice in {variable}" if first == variable else f"in {first} and {variable}"
            raise KeyConfigurationError(
                f"The same key material appears {where}; every key (and the salt) must be "
                f"distinct. A fallback must be an older key, never the current one. {HOW_TO_FIX}",
                variable=variable,
                code="reused",
            )
        seen[key] = variable


def _derive_all(
    masters: Sequence[bytes], salt: bytes, info: bytes, length: int, variable: str
) -> tuple[DerivedKey, ...]:
    keys = []
    for master in masters:
        secret = derive(master, salt, info, length)
        keys.append(DerivedKey(fingerprint(secret), secret))
    if len({key.key_id for key in keys}) != len(keys):
        # Astronomically unlikely with random keys, but a collision would make ids ambiguous.
        raise KeyConfigurationError(
            f"Two keys of {variable} (or its fallbacks) have the same key id; generate a new "
            f"current key. {HOW_TO_FIX}",
            variable=variable,
        )
    return tuple(keys)
