"""Fixed, obviously fake key material for tests: derived from labels, so it is reproducible."""

from __future__ import annotations

import base64
import hashlib


def test_key(label: str) -> str:
    """A well-formed 32-byte key derived from `label` (never use outside tests)."""
    digest = hashlib.sha256(f"keyvault test key: {label}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


test_key.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test to collect
fake_key = test_key

TEST_KEYS = {
    "primary": test_key("primary"),
    "primary_old": test_key("primary-old"),
    "deterministic": test_key("deterministic"),
    "deterministic_old": test_key("deterministic-old"),
    "salt": test_key("salt"),
}
