"""Key material as text: generation and validation of the URL-safe base64 strings operators keep.

A valid key looks like the output of `generate_key()`: 43 characters of URL-safe base64
(32 random bytes), e.g. `q4mD0f7Vx9...`. Validation happens once, when the key set is built.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from .errors import KeyConfigurationError, KeyProblem, KeyRole

KEY_BYTES = 32
# A random 32-byte key has ~30 distinct byte values; fewer than this means a typed pattern.
MIN_DISTINCT_BYTES = 16
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
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
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
