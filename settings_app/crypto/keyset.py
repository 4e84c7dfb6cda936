"""The key set: validated key material and the purpose-specific keys HKDF derives from it.

One primary key (randomized encryption), one deterministic key (deterministic encryption and
the blind index), their fallbacks (older keys that still decrypt) and the key-derivation salt.
Each purpose gets its own HKDF-SHA256 output, so no derived key ever serves two purposes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .envelope import KEY_ID_LENGTH
from .errors import KeyConfigurationError, KeyProblem, KeyRole
from .material import decode_key, meanings_of, refuse_text

# HKDF `info` labels: one per purpose, versioned so a future scheme can never reuse a key.
INFO_RANDOMIZED = b"keyvault/v1/randomized/aes-256-gcm"
INFO_DETERMINISTIC = b"keyvault/v1/deterministic/aes-256-siv"
INFO_BLIND_INDEX = b"keyvault/v1/blind-index/hmac-sha256"

# What errors call each role unless the caller names them (e.g. by the settings that hold them).
ROLE_NAMES: Mapping[KeyRole, str] = {
    KeyRole.PRIMARY: "Primary key",
    KeyRole.PRIMARY_FALLBACKS: "Primary fallback list",
    KeyRole.DETERMINISTIC: "Deterministic key",
    KeyRole.DETERMINISTIC_FALLBACKS: "Deterministic fallback list",
    KeyRole.SALT: "Key-derivation salt",
}


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
    """Validated key material and the keys derived from it, current key first in each tuple.

    `names` says what to call each role in error messages (default: `ROLE_NAMES`).
    `outside_secrets` names secrets used outside the key set (say, a framework's signing key)
    that no current key may equal.
    """

    def __init__(
        self,
        *,
        primary: str,
        deterministic: str,
        salt: str,
        primary_fallbacks: Sequence[str] = (),
        deterministic_fallbacks: Sequence[str] = (),
        names: Mapping[KeyRole, str] = ROLE_NAMES,
        outside_secrets: Mapping[str, str] | None = None,
    ) -> None:
        named = [(KeyRole.PRIMARY, primary), (KeyRole.DETERMINISTIC, deterministic)]
        named += [(KeyRole.SALT, salt)]
        named += [(KeyRole.PRIMARY_FALLBACKS, key) for key in primary_fallbacks]
        named += [(KeyRole.DETERMINISTIC_FALLBACKS, key) for key in deterministic_fallbacks]
        raw = [(role, decode_key(text, role, names[role])) for role, text in named]
        _refuse_reuse(raw, names)
        for role, key in raw[:2]:  # current keys only: a fallback must still decrypt its values
            _refuse_shared(key, role, names[role], outside_secrets or {})
            refuse_text(key, role, names[role])
        salt_bytes = raw[2][1]
        primaries = [raw[0][1]] + [k for r, k in raw[3:] if r is KeyRole.PRIMARY_FALLBACKS]
        deterministics = [raw[1][1]]
        deterministics += [k for r, k in raw[3:] if r is KeyRole.DETERMINISTIC_FALLBACKS]
        self.randomized = _derive_all(
            primaries, salt_bytes, INFO_RANDOMIZED, 32, KeyRole.PRIMARY, names
        )
        self.deterministic = _derive_all(
            deterministics, salt_bytes, INFO_DETERMINISTIC, 64, KeyRole.DETERMINISTIC, names
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


def _refuse_reuse(raw: Iterable[tuple[KeyRole, bytes]], names: Mapping[KeyRole, str]) -> None:
    """A key must serve exactly one purpose: every configured value has to be distinct."""
    seen: dict[bytes, KeyRole] = {}
    for role, key in raw:
        if key in seen:
            first = seen[key]
            where = (
                f"The same key material appears twice in {names[role]}"
                if first is role
                else f"{names[first]} and {names[role]} hold the same key material"
            )
            raise KeyConfigurationError(
                f"{where}; every key (and the salt) must be distinct. A fallback must be an "
                "older key, never the current one.",
                role=role,
                code=KeyProblem.REUSED,
            )
        seen[key] = role


def _refuse_shared(key: bytes, role: KeyRole, name: str, outside: Mapping[str, str]) -> None:
    """A key that doubles as another secret is exposed wherever that secret is."""
    for other, secret in outside.items():
        # Constant-time, as for any comparison of secrets.
        if any(hmac.compare_digest(key, meaning) for meaning in meanings_of(secret)):
            raise KeyConfigurationError(
                f"{name} holds the same material as {other}; key material must serve the key "
                "set alone.",
                role=role,
                code=KeyProblem.SHARED,
            )


def _derive_all(
    masters: Sequence[bytes],
    salt: bytes,
    info: bytes,
    length: int,
    role: KeyRole,
    names: Mapping[KeyRole, str],
) -> tuple[DerivedKey, ...]:
    keys = []
    for master in masters:
        secret = derive(master, salt, info, length)
        keys.append(DerivedKey(fingerprint(secret), secret))
    if len({key.key_id for key in keys}) != len(keys):
        # Astronomically unlikely with random keys, but a collision would make ids ambiguous.
        raise KeyConfigurationError(
            f"Two keys of {names[role]} (or its fallbacks) have the same key id; generate a new "
            "current key.",
            role=role,
        )
    return tuple(keys)
