"""Importer fixtures: a Rails key set and its keys file, scratch Rails databases, commands."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from settings_app.importers.rails_crypto import RailsKeySet
from tests.importers import rails_encrypt
from tests.importers.rails_databases import RailsDatabase, rails_database

# Obviously fake Rails keys, shaped like `bin/rails db:encryption:init` output (32 characters).
OLD_PRIMARY = "test0old0primary0key000000000001"
PRIMARY = "test0current0primary0key00000002"
DETERMINISTIC = "test0deterministic0key0000000003"
SALT = "test0key0derivation0salt00000004"
RAILS_KEYS = RailsKeySet((OLD_PRIMARY, PRIMARY), DETERMINISTIC, SALT)

INIT_OUTPUT = f"""Add this entry to the credentials of the target environment:

active_record_encryption:
  primary_key:
    - {OLD_PRIMARY}
    - {PRIMARY}
  deterministic_key: {DETERMINISTIC}
  key_derivation_salt: {SALT}
"""


def rails_encrypted(plaintext: str, *, password: str = PRIMARY, **options: object) -> str:
    """`plaintext` as the test Rails app stores it (current primary key, SHA-256 by default)."""
    return rails_encrypt.encrypt(plaintext, password=password, salt=SALT, **options)  # type: ignore[arg-type]


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return write_private(tmp_path / "rails_keys.yml", INIT_OUTPUT)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def rails_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RailsDatabase]:
    """A PromptEngine-shaped Rails database on each vendor (skipped when a server is down)."""
    with rails_database(request.param, tmp_path) as database:
        database.create_prompt_engine_table()
        yield database


@pytest.fixture
def sqlite_rails_db(tmp_path: Path) -> Iterator[RailsDatabase]:
    with rails_database("sqlite", tmp_path) as database:
        database.create_prompt_engine_table()
        yield database


@dataclass
class Run:
    """What a command printed, and the CommandError it ended with (None for success)."""

    out: str
    err: str
    error: CommandError | None

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.returncode

    @property
    def text(self) -> str:
        return self.out + self.err + ("" if self.error is None else str(self.error))


def run_command(name: str, *args: str, stdin: str | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    try:
        if stdin is not None:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr("sys.stdin", io.StringIO(stdin))
                call_command(name, *args, stdout=out, stderr=err)
        else:
            call_command(name, *args, stdout=out, stderr=err)
    except CommandError as error:
        return Run(out.getvalue(), err.getvalue(), error)
    return Run(out.getvalue(), err.getvalue(), None)
