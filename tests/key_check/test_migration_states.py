"""The key-check receiver on a database migrated back to before the record's table existed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from settings_app.key_check.models import KeyCheck
from settings_app.key_check.service import KeyCheckState, check_keys

BEFORE_THE_RECORD = [("settings_app", "0010_rollback_role")]


@pytest.fixture
def migrated_back(transactional_db: None) -> Iterator[None]:
    """The database at the last migration before the record; at the latest afterwards."""
    MigrationExecutor(connection).migrate(BEFORE_THE_RECORD)
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_flush_before_the_record_table_exists_still_works(migrated_back: None) -> None:
    assert KeyCheck._meta.db_table not in connection.introspection.table_names()

    # Sends post_migrate, with no record table. CASCADE: at this state the tables of models
    # since removed (reveal tokens, migration 0030) still reference users, unknown to flush.
    call_command("flush", interactive=False, verbosity=0, allow_cascade=True)

    assert KeyCheck._meta.db_table not in connection.introspection.table_names()


def test_migrating_forward_again_writes_the_record(migrated_back: None) -> None:
    call_command("migrate", verbosity=0)

    assert check_keys().state is KeyCheckState.CURRENT
