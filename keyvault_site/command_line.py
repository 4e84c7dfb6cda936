"""`manage.py` for people: a missing secret or an unmigrated database is one paragraph, not a
traceback.

Both happen to every operator once (a lost `.env`, a command run before `migrate`), and a
traceback there hides the one thing to do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

MIGRATE_FIRST = (
    "The database has no keyvault tables yet (or misses recent ones): run "
    "`python manage.py migrate` first, then this command again."
)


class MissingSecretKey(ImproperlyConfigured):
    """SECRET_KEY is not configured; the message says whether to restore it or create one."""


def missing_secret_key(env_file: str) -> MissingSecretKey:
    """The paragraph for a missing SECRET_KEY: restoring comes first, since data may exist."""
    where = f"there is no .env file at {env_file}" if env_file else "no .env file is read"
    if env_file and Path(env_file).is_file():
        where = f"{env_file} has no SECRET_KEY line"
    return MissingSecretKey(
        f"SECRET_KEY is not set, and {where}. If keyvault has run here before, restore .env "
        "(or SECRET_KEY and the KEYVAULT_* keys, or their *_FILE secrets) from your backup: "
        "the audit trail is signed with SECRET_KEY and every stored value is encrypted under "
        "those keys, so new ones cannot read them. For a new local install, `make run` writes "
        "a .env; in production set SECRET_KEY (or SECRET_KEY_FILE) in the environment."
    )


def main(argv: Sequence[str]) -> None:
    """Run a management command; exit with one paragraph for the two common set-up mistakes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyvault_site.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(list(argv))
    except MissingSecretKey as error:
        sys.exit(f"{error}\n")
    except DatabaseError:
        # A failing `migrate` has pending migrations by definition: show its real error.
        if argv[1:2] == ["migrate"] or not _migrations_pending():
            raise
        sys.exit(MIGRATE_FIRST)


def _migrations_pending() -> bool:
    """True if `migrate` has not been run (fully) on the default database."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return False
