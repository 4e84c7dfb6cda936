"""Ways an operator or an attacker leaves a stored value that can no longer be decrypted.

Each `Breakage` damages one saved Setting the way the hardening issue reproduced it (a
truncated column, a fallback key removed too early, a changed salt, plaintext written while
plaintext support is off) and says how the admin names the reason. Settings made after
`break_row()` are readable again: the configuration it leaves is the one in force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from settings_app.models import Setting
from tests.support.keys import test_key


def raw_value(setting: Setting) -> str:
    """The value column exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("SELECT {value} FROM {table} WHERE {key} = %s"), [setting.key])
        return str(cursor.fetchone()[0])


def write_raw_value(setting: Setting, text: str) -> None:
    """Store `text` in the value column as it is, past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql("UPDATE {table} SET {value} = %s WHERE {key} = %s"), [text, setting.key]
        )


def _sql(template: str) -> str:
    quote = connection.ops.quote_name
    return template.format(
        table=quote(Setting._meta.db_table), value=quote("value"), key=quote("key")
    )


def _truncate(setting: Setting, settings: Any) -> None:
    write_raw_value(setting, raw_value(setting)[:-6])


def _remove_fallback(setting: Setting, settings: Any) -> None:
    # Written under the key that is now a fallback, then the fallback is dropped.
    current = settings.KEYVAULT_PRIMARY_KEY
    settings.KEYVAULT_PRIMARY_KEY = test_key("primary, retired too early")
    setting.save()
    settings.KEYVAULT_PRIMARY_KEY = current


def _change_salt(setting: Setting, settings: Any) -> None:
    settings.KEYVAULT_KEY_DERIVATION_SALT = test_key("a different salt")


def _store_plaintext(setting: Setting, settings: Any) -> None:
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False
    write_raw_value(setting, setting.value)


@dataclass(frozen=True)
class Breakage:
    name: str
    damage: Callable[[Setting, Any], None]
    reason: str  # DecryptionReason value
    shown: str  # how the admin names it

    def break_row(self, setting: Setting, settings: Any) -> Setting:
        self.damage(setting, settings)
        return setting


BREAKAGES = [
    Breakage("truncated", _truncate, "failed_authentication", "failed authentication"),
    Breakage("fallback removed", _remove_fallback, "unknown_key", "unknown key id"),
    Breakage("salt changed", _change_salt, "unknown_key", "unknown key id"),
    Breakage("plaintext", _store_plaintext, "not_encrypted", "not encrypted"),
]

every_breakage = pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.name for b in BREAKAGES])
BY_NAME = {breakage.name: breakage for breakage in BREAKAGES}
