"""Misconfigured key sets, as settings overrides: shared by the key-set and system-check tests."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.keys import TEST_KEYS, test_key

PRIMARY = "KEYVAULT_PRIMARY_KEY"
PRIMARY_FALLBACKS = "KEYVAULT_PRIMARY_KEY_FALLBACKS"
DETERMINISTIC = "KEYVAULT_DETERMINISTIC_KEY"
DETERMINISTIC_FALLBACKS = "KEYVAULT_DETERMINISTIC_KEY_FALLBACKS"
SALT = "KEYVAULT_KEY_DERIVATION_SALT"

TOO_SHORT = base64.urlsafe_b64encode(hashlib.sha256(b"short").digest()[:31]).decode()
LOW_ENTROPY = base64.urlsafe_b64encode(b"\x07" * 32).decode()
FEW_DISTINCT = base64.urlsafe_b64encode(bytes(range(8)) * 4).decode()
STANDARD_ALPHABET = base64.b64encode(b"\xfb\xff" * 8 + hashlib.sha256(b"x").digest()[:16]).decode()


@dataclass(frozen=True)
class BadConfig:
    overrides: dict[str, Any]
    variable: str
    check_id: str

    def key_material(self) -> list[str]:
        """Every key text in play, which no message may quote."""
        texts = list(TEST_KEYS.values())
        for value in self.overrides.values():
            texts += value if isinstance(value, list) else [value]
        return [text for text in texts if isinstance(text, str) and len(text) >= 8]


def _bad(name: str, variable: str, check_id: str, **overrides: Any) -> Any:
    return pytest.param(BadConfig(overrides, variable, check_id), id=name)


BAD_CONFIGS = [
    _bad("primary missing", PRIMARY, "keyvault.E001", KEYVAULT_PRIMARY_KEY=""),
    _bad("deterministic missing", DETERMINISTIC, "keyvault.E001", KEYVAULT_DETERMINISTIC_KEY=""),
    _bad("salt missing", SALT, "keyvault.E001", KEYVAULT_KEY_DERIVATION_SALT=""),
    _bad("primary None", PRIMARY, "keyvault.E001", KEYVAULT_PRIMARY_KEY=None),
    _bad("not base64", PRIMARY, "keyvault.E002", KEYVAULT_PRIMARY_KEY="not a key, just words!"),
    _bad("standard alphabet", PRIMARY, "keyvault.E002", KEYVAULT_PRIMARY_KEY=STANDARD_ALPHABET),
    _bad("bad length", DETERMINISTIC, "keyvault.E002", KEYVAULT_DETERMINISTIC_KEY="A" * 41),
    _bad("too short", SALT, "keyvault.E002", KEYVAULT_KEY_DERIVATION_SALT=TOO_SHORT),
    _bad("identical bytes", PRIMARY, "keyvault.E002", KEYVAULT_PRIMARY_KEY=LOW_ENTROPY),
    _bad(
        "few distinct bytes",
        DETERMINISTIC,
        "keyvault.E002",
        KEYVAULT_DETERMINISTIC_KEY=FEW_DISTINCT,
    ),
    _bad(
        "malformed fallback",
        PRIMARY_FALLBACKS,
        "keyvault.E002",
        KEYVAULT_PRIMARY_KEY_FALLBACKS=[test_key("old"), TOO_SHORT],
    ),
    _bad(
        "primary == deterministic",
        DETERMINISTIC,
        "keyvault.E003",
        KEYVAULT_DETERMINISTIC_KEY=TEST_KEYS["primary"],
    ),
    _bad(
        "fallback == current",
        PRIMARY_FALLBACKS,
        "keyvault.E003",
        KEYVAULT_PRIMARY_KEY_FALLBACKS=[TEST_KEYS["primary"]],
    ),
    _bad(
        "padded fallback == current",
        DETERMINISTIC_FALLBACKS,
        "keyvault.E003",
        KEYVAULT_DETERMINISTIC_KEY_FALLBACKS=[TEST_KEYS["deterministic"] + "="],
    ),
    _bad(
        "duplicate fallbacks",
        PRIMARY_FALLBACKS,
        "keyvault.E003",
        KEYVAULT_PRIMARY_KEY_FALLBACKS=[TEST_KEYS["primary_old"]] * 2,
    ),
    _bad(
        "salt == primary", SALT, "keyvault.E003", KEYVAULT_KEY_DERIVATION_SALT=TEST_KEYS["primary"]
    ),
    _bad(
        "fallback == salt",
        DETERMINISTIC_FALLBACKS,
        "keyvault.E003",
        KEYVAULT_DETERMINISTIC_KEY_FALLBACKS=[TEST_KEYS["salt"]],
    ),
]
