"""init_encryption --write never leaves keys in a file that anyone but its owner can read."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from settings_app.encryption.key_files import KeyFileError, write_env_file


def write(target: Path) -> str:
    out = io.StringIO()
    call_command("init_encryption", "--write", str(target), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666], ids=oct)
def test_an_existing_file_others_can_read_is_refused_untouched(
    tmp_path: Path, empty_database: None, mode: int
) -> None:
    target = tmp_path / ".env"
    target.write_text("DEBUG=true\n")
    target.chmod(mode)
    with pytest.raises(CommandError) as raised:
        write(target)
    message = str(raised.value)
    assert f"chmod 600 {target}" in message
    assert f"{mode:04o}" in message
    assert target.read_text() == "DEBUG=true\n"  # no key was written
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_a_private_existing_file_is_written_and_its_mode_reported(
    tmp_path: Path, empty_database: None
) -> None:
    target = tmp_path / ".env"
    target.write_text("DEBUG=true\n")
    target.chmod(0o600)
    assert "(mode 0600)" in write(target)
    assert "KEYVAULT_PRIMARY_KEY=" in target.read_text()


def test_the_service_refuses_before_writing(tmp_path: Path, empty_database: None) -> None:
    target = tmp_path / ".env"
    target.write_text("")
    target.chmod(0o640)
    with pytest.raises(KeyFileError, match=r"mode 0640.*chmod 600"):
        write_env_file(target, {"KEYVAULT_PRIMARY_KEY": "x"})
    assert target.read_text() == ""


def test_a_new_file_is_private_whatever_the_umask(tmp_path: Path, empty_database: None) -> None:
    target = tmp_path / "keys.env"
    previous = os.umask(0o022)
    try:
        printed = write(target)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "(mode 0600)" in printed
