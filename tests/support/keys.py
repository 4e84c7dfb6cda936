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

# The key set as environment variables, for manage.py run in a subprocess.
KEY_ENV = {
    "KEYVAULT_PRIMARY_KEY": TEST_KEYS["primary"],
    "KEYVAULT_DETERMINISTIC_KEY": TEST_KEYS["deterministic"],
    "KEYVAULT_KEY_DERIVATION_SALT": TEST_KEYS["salt"],
}


def sqlite_env(database: object) -> dict[str, str]:
    """Environment for a manage.py subprocess on its own SQLite file, with the test keys."""
    return {"SECRET_KEY": "x" * 50, "DATABASE_URL": f"sqlite:///{database}", **KEY_ENV}
