"""A SQLite database of settings for reencrypt's stress tests, seeded by a subprocess, with
the key environments before and after a rotation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.keys import TEST_KEYS, fake_key, sqlite_env

ROWS = 30_000

SEED = f"""
from settings_app.models import Setting
Setting.objects.bulk_create(
    Setting(key=f"k{{i:06d}}", value=f"sk-proj-kill-{{i:06d}}") for i in range({ROWS})
)
"""


def key_env(database: Path, *, rotated: bool) -> dict[str, str]:
    env = sqlite_env(database)
    if rotated:
        env["KEYVAULT_PRIMARY_KEY_FALLBACKS"] = TEST_KEYS["primary"]
        env["KEYVAULT_PRIMARY_KEY"] = fake_key("primary-after-kill")
    return env


def moved_rows(database: Path, old_key_id: str) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM settings_app_setting WHERE value NOT LIKE ?",
            [f"$kv1$r${old_key_id}$%"],
        ).fetchone()
    return int(count)
