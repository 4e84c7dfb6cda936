"""A lost `.env` never forks the key set: new keys are refused beside old data, and wrong keys
fail plain `manage.py check` before anything is served."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import CommandError, call_command

from settings_app.key_check.models import KeyCheck
from settings_app.key_check.service import ensure_key_check
from settings_app.models import Setting
from tests.conftest import run_manage
from tests.support.keys import TEST_KEYS, fake_key

pytestmark = pytest.mark.django_db
RESTORE = "restore .env"


@pytest.fixture(autouse=True)
def record() -> None:
    KeyCheck.objects.all().delete()
    assert ensure_key_check()


def write_keys(target: Path, *flags: str) -> None:
    call_command(
        "init_encryption",
        "--write",
        str(target),
        *flags,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_new_keys_are_refused_beside_a_key_check_record(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    with pytest.raises(CommandError, match="key-check record") as refused:
        write_keys(target)
    assert RESTORE in str(refused.value).lower() and "--start-over" in str(refused.value)
    assert not target.exists()


def test_new_keys_are_refused_beside_encrypted_values_alone(tmp_path: Path) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-" + "a" * 40)
    KeyCheck.objects.all().delete()
    with pytest.raises(CommandError, match="encrypted values in settings_app_setting"):
        write_keys(tmp_path / ".env")


def test_start_over_is_the_one_deliberate_way(tmp_path: Path) -> None:
    write_keys(tmp_path / ".env", "--start-over")
    assert "KEYVAULT_PRIMARY_KEY=" in (tmp_path / ".env").read_text()


def test_an_empty_database_gets_its_first_keys(tmp_path: Path) -> None:
    KeyCheck.objects.all().delete()
    write_keys(tmp_path / ".env")
    assert "KEYVAULT_PRIMARY_KEY=" in (tmp_path / ".env").read_text()


def test_plain_check_is_an_error_when_the_keys_do_not_open_the_record(settings) -> None:
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    found = [m for m in checks.run_checks() if m.id == "keyvault.E010"]
    assert len(found) == 1 and found[0].level == checks.ERROR
    assert "salt or keys differ" in found[0].msg and "encryption_status" in str(found[0].hint)


def test_plain_check_is_quiet_when_the_keys_match() -> None:
    assert not [m for m in checks.run_checks() if (m.id or "").startswith("keyvault.E01")]


def test_a_tampered_record_is_an_error_too() -> None:
    KeyCheck.objects.filter(pk=1).update(randomized=KeyCheck.objects.get().randomized[:-4] + "AAAA")
    assert [m.id for m in checks.run_checks() if (m.id or "").startswith("keyvault.E01")] == [
        "keyvault.E011"
    ]


# --- the command line, before and without configuration ---------------------------------------

KEYS = {
    "KEYVAULT_PRIMARY_KEY": TEST_KEYS["primary"],
    "KEYVAULT_DETERMINISTIC_KEY": TEST_KEYS["deterministic"],
    "KEYVAULT_KEY_DERIVATION_SALT": TEST_KEYS["salt"],
}


def fresh_env(tmp_path: Path) -> dict[str, str]:
    return {
        "SECRET_KEY": "fork-guard-test-" + "Qw3#rT7!" * 6,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **KEYS,
    }


def test_a_missing_secret_key_is_one_paragraph_saying_restore(tmp_path: Path) -> None:
    done = run_manage("check", env={"KEYVAULT_ENV_FILE": str(tmp_path / ".env")})
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert RESTORE in done.stderr.lower() and str(tmp_path / ".env") in done.stderr
    assert "token_urlsafe" not in done.stderr  # not "generate a new one"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["encryption_status", "check_keys", "reencrypt"])
def test_a_command_before_migrate_says_run_migrate(tmp_path: Path, command: str) -> None:
    done = run_manage(command, env=fresh_env(tmp_path))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "run `python manage.py migrate`" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2  # axes' start-up line, then ours


@pytest.mark.slow
def test_migrate_alone_makes_the_cache_table_and_init_encryption_runs_before_it(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in fresh_env(tmp_path).items() if k not in KEYS}
    env_file = tmp_path / "keys.env"
    done = run_manage("init_encryption", "--write", str(env_file), env=env)
    assert done.returncode == 0, done.stderr
    assert run_manage("migrate", "--noinput", env=fresh_env(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "keyvault_cache" in tables
