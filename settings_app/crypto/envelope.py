"""The stored text format of an encrypted value, defined in this one place.

An envelope is ASCII text that fits any text column::

    $kv1$r$3f9a0c1d$q2Vx...base64...
    |   | |        |
    |   | |        +-- payload: standard base64 of nonce(12) | ciphertext | tag(16) for mode r,
    |   | |            or synthetic IV(16) | ciphertext for mode d
    |   | +----------- key id: fingerprint of the derived key that encrypted it (keyset.py)
    |   +------------- mode: r = randomized (AES-256-GCM), d = deterministic (AES-256-SIV)
    +----------------- marker and format version

The whole header is part of the associated data, so changing any of it breaks authentication.
"""

from __future__ import annotations

import binascii
import re
from typing import NamedTuple

MARKER = "$kv"  # any value starting with this is a ciphertext, never legacy plaintext
VERSION = "1"
RANDOMIZED = "r"
DETERMINISTIC = "d"
KEY_ID_LENGTH = 8  # hex characters of the key's fingerprint
NONCE_BYTES = 12  # mode r: the payload is nonce | ciphertext | tag, split after this many bytes
HEADER_LENGTH = len(f"{MARKER}{VERSION}$r$") + KEY_ID_LENGTH + 1  # 16
AAD_PREFIX = b"keyvault/v1\x00"
# A damaged header must still be recognised as a ciphertext: values whose first
# HEADER_LENGTH characters differ from the shape below in at most this many places are.
_HEADER_SHAPE = f"{MARKER}{VERSION}$?$" + "?" * KEY_ID_LENGTH + "$"
_MAX_DAMAGE = 3
_SHIFTED_MARKER = f"kv{VERSION}$"
_VERSIONED = re.compile(r"\$kv([0-9]+)\$")
_HEADER_V1 = re.compile(rf"\$kv1\$([a-z])\$([0-9a-f]{{{KEY_ID_LENGTH}}})\$")
# Base64 leaves unused low bits in the last character of a payload whose length is not a
# multiple of 3; these are the characters whose unused bits are zero (canonical encoding).
_CANONICAL_LAST = {1: frozenset("AQgw"), 2: frozenset("AEIMQUYcgkosw048")}


class Header(NamedTuple):
    """What an envelope's header says; `mode` and `key_id` are empty for other versions."""

    version: str
    mode: str
    key_id: str


def header(mode: str, key_id: str) -> str:
    """The envelope header for `mode` and `key_id`, e.g. `$kv1$r$3f9a0c1d$`."""
    return f"{MARKER}{VERSION}${mode}${key_id}$"


def associated_data(header_text: str, context: str) -> bytes:
    """AEAD associated data: binds a ciphertext to its header and to where it is stored."""
    return AAD_PREFIX + header_text.encode("ascii") + b"\x00" + context.encode("utf-8")


def encode_payload(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


def decode_payload(body: str) -> bytes:
    """Decode a payload, accepting only the one canonical base64 spelling of each byte string."""
    raw = binascii.a2b_base64(body, strict_mode=True)
    rest = len(raw) % 3
    if rest:
        if body[rest - 4] not in _CANONICAL_LAST[rest]:
            raise binascii.Error("non-canonical base64")
    elif body.endswith("="):  # strict mode still accepts padding after a whole quantum
        raise binascii.Error("non-canonical base64")
    return raw


def looks_like_envelope(text: str) -> bool:
    """True for every envelope, damaged ones included, so they are never read as plaintext."""
    head = text[: HEADER_LENGTH + 8]
    if "$" not in head:
        return False  # fast path: 4 of the 7 fixed header characters are "$"
    if text.startswith(MARKER) or _SHIFTED_MARKER in head:
        return True  # the second test catches characters inserted or deleted before it
    if len(text) <= HEADER_LENGTH:
        return False
    damage = sum(
        1 for want, got in zip(_HEADER_SHAPE, text, strict=False) if want not in ("?", got)
    )
    return damage <= _MAX_DAMAGE


def parse_header(text: str) -> Header | None:
    """The header of an envelope, or None if it is unreadable (damaged)."""
    versioned = _VERSIONED.match(text)
    if versioned is None:
        return None
    if versioned[1] != VERSION:
        return Header(versioned[1], "", "")
    parts = _HEADER_V1.match(text)
    return None if parts is None else Header(VERSION, parts[1], parts[2])
