"""Key material as text: generation and validation of the URL-safe base64 strings operators keep.

A valid key looks like the output of `generate_key()`: 43 characters of URL-safe base64
(32 random bytes), e.g. `q4mD0f7Vx9...`. Validation happens once, when the key set is built.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import secrets

from .errors import KeyConfigurationError, KeyProblem, KeyRole

KEY_BYTES = 32
# A random 32-byte key has ~30 distinct byte values; fewer than this means a typed pattern.
MIN_DISTINCT_BYTES = 16
# Printable ASCII and the whitespace people type. 32 random bytes all land in this set with a
# probability of about 1e-13, so a key that does was typed (or encoded) text, not generated.
_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\r")
_URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def generate_key() -> str:
    """Return new key material: 32 bytes from the OS CSPRNG, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii").rstrip("=")


def decode_key(text: str | None, role: KeyRole, name: str) -> bytes:
    """Decode and validate one key for `role`, called `name` in any error message."""
    text = (text or "").strip()
    if not text:
        raise KeyConfigurationError(f"{name} is not set.", role=role, code=KeyProblem.MISSING)
    if not _URLSAFE_BASE64.fullmatch(text):
        raise KeyConfigurationError(
            f"{name} is not URL-safe base64 (only A-Z, a-z, 0-9, '-' and '_' are allowed).",
            role=role,
        )
    try:
        raw = _decode(text)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(
            f"{name} is not valid base64 (its length is wrong).", role=role
        ) from None
    if len(raw) < KEY_BYTES:
        raise KeyConfigurationError(
            f"{name} is too short: it decodes to {len(raw)} bytes and at least {KEY_BYTES} "
            "random bytes are required.",
            role=role,
        )
    if len(set(raw)) < MIN_DISTINCT_BYTES:
        raise KeyConfigurationError(
            f"{name} does not look random (too few distinct bytes); never type a key by hand.",
            role=role,
        )
    return raw


def refuse_text(raw: bytes, role: KeyRole, name: str) -> None:
    """Refuse key material that decodes to printable text, such as a base64-encoded passphrase.

    It passes the other rules, but its entropy is that of the words, not of its length.
    """
    if set(raw) <= _TEXT_BYTES:
        raise KeyConfigurationError(
            f"{name} decodes to printable text (such as a base64-encoded passphrase), not to "
            "random bytes.",
            role=role,
            code=KeyProblem.TEXT,
        )


def meanings_of(secret: str) -> tuple[bytes, ...]:
    """The byte strings a secret written as text can stand for as key material: its UTF-8
    encoding, and its decoding when it is URL-safe base64."""
    meanings = [secret.encode("utf-8", "surrogatepass")]
    if _URLSAFE_BASE64.fullmatch(secret.strip()):
        with contextlib.suppress(binascii.Error, ValueError):  # else its text is all it means
            meanings.append(_decode(secret.strip()))
    return tuple(meanings)


def _decode(text: str) -> bytes:
    """URL-safe base64, padded or not."""
    unpadded = text.rstrip("=")
    return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
