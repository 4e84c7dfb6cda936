"""init_encryption: generates usable key sets, never overwrites keys, rotates correctly."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from settings_app.crypto import KeySet
from settings_app.encryption.key_files import variables_in
from settings_app.models import AuditAction, AuditEvent
from tests.conftest import run_manage
from tests.support.keys import TEST_KEYS


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("init_encryption", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_env_output_is_a_valid_fresh_key_set() -> None:
    out, _ = run()
    values = parse_env(out)
    assert set(values) == {
        "KEYVAULT_PRIMARY_KEY",
        "KEYVAULT_DETERMINISTIC_KEY",
        "KEYVAULT_KEY_DERIVATION_SALT",
    }
    KeySet(
        primary=values["KEYVAULT_PRIMARY_KEY"],
        deterministic=values["KEYVAULT_DETERMINISTIC_KEY"],
        salt=values["KEYVAULT_KEY_DERIVATION_SALT"],
    )
    assert parse_env(run()[0]) != values  # fresh randomness every time
    assert "Back them up" in run()[1]


def test_json_output() -> None:
    out, _ = run("--format", "json")
    assert set(json.loads(out)) >= {"KEYVAULT_PRIMARY_KEY", "KEYVAULT_KEY_DERIVATION_SALT"}


def test_write_creates_a_private_file_and_refuses_to_overwrite(
    tmp_path: Path, empty_database: None
) -> None:
    target = tmp_path / "keys.env"
    run("--write", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    first = target.read_text()
    with pytest.raises(CommandError, match="refusing to overwrite keys"):
        run("--write", str(target))
    assert target.read_text() == first


def test_write_appends_to_an_existing_env_file(tmp_path: Path, empty_database: None) -> None:
    target = tmp_path / ".env"
    target.write_text("DEBUG=true\nSECRET_KEY=abc")
    target.chmod(0o600)  # a file others can read is refused: see test_key_file_modes.py
    run("--write", str(target))
    assert target.read_text().startswith("DEBUG=true\nSECRET_KEY=abc\nKEYVAULT_PRIMARY_KEY=")
    assert variables_in(target) == {
        "KEYVAULT_PRIMARY_KEY",
        "KEYVAULT_DETERMINISTIC_KEY",
        "KEYVAULT_KEY_DERIVATION_SALT",
    }


@pytest.mark.django_db
def test_rotate_moves_the_current_key_to_the_fallbacks(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [TEST_KEYS["primary_old"]]
    out, err = run("--rotate")
    values = parse_env(out)
    assert values["KEYVAULT_PRIMARY_KEY"] not in (TEST_KEYS["primary"], TEST_KEYS["primary_old"])
    assert values["KEYVAULT_PRIMARY_KEY_FALLBACKS"] == (
        f"{TEST_KEYS['primary']},{TEST_KEYS['primary_old']}"
    )
    assert values["KEYVAULT_DETERMINISTIC_KEY"] == TEST_KEYS["deterministic"]
    assert values["KEYVAULT_KEY_DERIVATION_SALT"] == TEST_KEYS["salt"]
    assert "reencrypt" in err and "encryption_status" in err
    (event,) = AuditEvent.objects.filter(action=AuditAction.KEY_SET_ROTATED)
    assert event.actor_label == "manage.py init_encryption"
    assert values["KEYVAULT_PRIMARY_KEY"] not in str(event.details)
    assert (
        event.details["new_primary_key_id"]
        == KeySet(
            primary=values["KEYVAULT_PRIMARY_KEY"],
            deterministic=values["KEYVAULT_DETERMINISTIC_KEY"],
            salt=values["KEYVAULT_KEY_DERIVATION_SALT"],
        )
        .randomized[0]
        .key_id
    )


@pytest.mark.django_db
def test_rotate_deterministic_on_request() -> None:
    values = parse_env(run("--rotate", "--include-deterministic")[0])
    assert values["KEYVAULT_DETERMINISTIC_KEY"] != TEST_KEYS["deterministic"]
    assert values["KEYVAULT_DETERMINISTIC_KEY_FALLBACKS"] == TEST_KEYS["deterministic"]


def test_rotate_refuses_a_broken_configuration(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY = "too-short"
    with pytest.raises(CommandError, match="KEYVAULT_PRIMARY_KEY"):
        run("--rotate")


def test_runs_before_any_key_exists() -> None:
    result = run_manage("init_encryption", env={"SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert "KEYVAULT_PRIMARY_KEY=" in result.stdout
