"""`make run`'s local set-up: a database that lost its `.env` is refused, never re-keyed, and
the database file is private."""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from keyvault_site import local_env


def database_with_data(tmp_path: Path) -> Path:
    database = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.execute("CREATE TABLE settings_app_setting (id INTEGER PRIMARY KEY)")
        db.commit()
    return database


def test_an_empty_sqlite_database_is_not_data(tmp_path: Path) -> None:
    """A database with no table (a `manage.py check` run before `.env` existed leaves one) does
    not block `make run`: nothing in it could be lost."""
    database = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA user_version = 0")  # opened and written: a 4 KiB file, no table
        db.execute("VACUUM")
    assert database.stat().st_size > 0
    assert local_env.main([str(tmp_path / ".env"), "--database", str(database)]) == 0
    assert (tmp_path / ".env").exists()


@pytest.mark.parametrize("content", [b"SQLite format 3\x00" + b"\x01" * 100, b"not a database"])
def test_a_file_that_cannot_be_read_as_sqlite_counts_as_data(
    tmp_path: Path, content: bytes
) -> None:
    database = tmp_path / "db.sqlite3"
    database.write_bytes(content)
    with pytest.raises(local_env.OrphanedDatabase):
        local_env.guard_database(tmp_path / ".env", database, start_over=False)


def test_a_database_without_its_env_is_refused(tmp_path: Path, capsys) -> None:
    database = database_with_data(tmp_path)
    env = tmp_path / ".env"
    assert local_env.main([str(env), "--database", str(database)]) == 1
    message = capsys.readouterr().err
    assert "Restore" in message and "START_OVER=1" in message
    assert not env.exists()  # no new SECRET_KEY written beside the old data
    assert database.exists()


def test_an_env_that_lost_its_keys_is_refused_too(tmp_path: Path) -> None:
    database = database_with_data(tmp_path)
    env = tmp_path / ".env"
    env.write_text("SECRET_KEY=x\n")
    with pytest.raises(local_env.OrphanedDatabase, match="holds no key set"):
        local_env.guard_database(env, database, start_over=False)


def test_start_over_moves_the_database_aside(tmp_path: Path) -> None:
    database = database_with_data(tmp_path)
    (tmp_path / "db.sqlite3-wal").write_bytes(b"wal")
    assert (
        local_env.main([str(tmp_path / ".env"), "--database", str(database), "--start-over"]) == 0
    )
    moved = sorted(p.name for p in tmp_path.glob("db.sqlite3.orphaned-*"))
    assert len(moved) == 2 and moved[1].endswith("-wal")
    assert database.stat().st_size == 0  # a new, empty database


def test_the_database_is_private(tmp_path: Path) -> None:
    env, database = tmp_path / ".env", tmp_path / "db.sqlite3"
    assert local_env.main([str(env), "--database", str(database)]) == 0
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    database.chmod(0o644)
    env.write_text(env.read_text() + "KEYVAULT_PRIMARY_KEY=k\n")
    database.write_bytes(b"data")
    assert local_env.main([str(env), "--database", str(database)]) == 0
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
