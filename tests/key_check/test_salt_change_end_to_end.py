"""End to end, as an operator meets it: a database migrated and filled under one salt, then
read under another. encryption_status and the admin say the salt is the likely cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_manage
from tests.support.keys import fake_key, sqlite_env

SEED = """
from settings_app.models import Setting
Setting.objects.create(key="openai_api_key", value="sk-proj-salt-test-0001", provider="openai")
"""


@pytest.mark.slow
def test_a_changed_salt_is_named_after_migrate(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "salt.sqlite3")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    assert run_manage("encryption_status", env=env).returncode == 0  # nothing stored yet
    assert run_manage("shell", "-c", SEED, env=env).returncode == 0

    changed = {**env, "KEYVAULT_KEY_DERIVATION_SALT": fake_key("a-new-salt")}
    result = run_manage("encryption_status", env=changed)
    assert result.returncode == 1
    assert "The salt or keys differ from those that wrote the data" in result.stderr
    assert "The salt is the likely cause (KEYVAULT_KEY_DERIVATION_SALT)" in result.stderr
    assert "sk-proj-salt-test-0001" not in result.stdout + result.stderr
