"""Create a local development `.env` (DEBUG on, a fresh SECRET_KEY) and keep `db.sqlite3` private.

Run by `make run`; never used in production, where configuration comes from the environment.
A database without the `.env` that wrote it is refused: new keys could never read it.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

TEMPLATE = """\
# Local development settings written by `make run`. Never commit this file.
DEBUG=true
SECRET_KEY={secret_key}
ALLOWED_HOSTS=127.0.0.1,localhost
"""
_HAS_KEYS = re.compile(r"^\s*(?:export\s+)?KEYVAULT_PRIMARY_KEY\s*=", re.MULTILINE)
ORPHANED = (
    "{database} holds data, but {env} {state}: new keys could never read it, and the audit "
    "trail would look forged. Restore {env} from your backup and run `make run` again. To "
    "abandon that data deliberately, run `make run START_OVER=1`: it moves {database} aside "
    "and starts a new key set."
)


class OrphanedDatabase(Exception):
    """The database outlived the `.env` holding its keys; the message says what to do."""


def create(path: Path) -> bool:
    """Write a fresh local .env at `path` (mode 0600); False if one already exists."""
    if path.exists():
        return False
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(TEMPLATE.format(secret_key=secrets.token_urlsafe(50)))
    return True


def guard_database(env: Path, database: Path, *, start_over: bool) -> Path | None:
    """Refuse (OrphanedDatabase) a database whose keys are not in `env`; with `start_over`,
    move it aside and return where it went."""
    if not _holds_data(database) or _holds_keys(env):
        return None
    if not start_over:
        state = "is missing" if not env.exists() else "holds no key set"
        raise OrphanedDatabase(ORPHANED.format(database=database, env=env, state=state))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = database.with_name(f"{database.name}.orphaned-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            source.rename(f"{aside}{suffix}")
    return aside


def make_private(database: Path) -> None:
    """Create the database file (if missing) readable by its owner alone; SQLite gives its
    -wal and -shm files the same mode."""
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    database.chmod(0o600)


def _holds_data(database: Path) -> bool:
    """Whether `database` may hold anything: only a missing or empty file, or an SQLite database
    without a single table (what a stray `manage.py check` leaves), holds nothing."""
    if not database.exists() or database.stat().st_size == 0:
        return False
    wal = Path(f"{database}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return True  # tables may sit in the write-ahead log, not yet in the file
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
            (tables,) = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return True  # unreadable: never taken for empty
    return bool(tables)


def _holds_keys(env: Path) -> bool:
    return env.is_file() and bool(_HAS_KEYS.search(env.read_text()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("env", type=Path, nargs="?", default=Path(".env"))
    parser.add_argument("--database", type=Path, default=Path("db.sqlite3"))
    parser.add_argument("--start-over", action="store_true")
    options = parser.parse_args(argv)
    try:
        aside = guard_database(options.env, options.database, start_over=options.start_over)
    except OrphanedDatabase as error:
        print(error, file=sys.stderr)
        return 1
    if aside:
        print(f"Moved {options.database} aside to {aside}.")
    created = create(options.env)
    print(f"Created {options.env}." if created else f"{options.env} exists; left as it is.")
    make_private(options.database)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
