"""Migrating a database that already holds settings: each gets version 1 from its value."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from settings_app.models import Setting, SettingVersion
from tests.versions.conftest import KEY, masked, new_key

BEFORE = [("settings_app", "0004_audit_actions_and_names")]


@pytest.fixture
def migrator(transactional_db: None) -> Iterator[MigrationExecutor]:
    """An executor at the last migration before versions; back at the latest afterwards."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(latest)


def test_existing_settings_get_version_1_from_their_current_value(migrator) -> None:
    old = migrator.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="kim")
    value = new_key()
    old.get_model("settings_app", "Setting").objects.create(
        key=KEY, value=value, provider="openai", verification_status="valid", updated_by=user
    )

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())

    setting = Setting.objects.get(key=KEY)
    first = setting.versions.get()
    assert (setting.version, first.version, first.value) == (1, 1, value)
    assert (first.mask, first.verification_status) == (masked(value), "valid")
    assert (first.created_by_label, first.created_at) == ("kim", setting.updated_at)
    # ...and life goes on from there.
    assert Setting.objects.set_value(KEY, new_key(), expected_version=1).version == 2


def test_a_row_the_keys_cannot_read_is_left_for_its_next_value(migrator) -> None:
    old = migrator.loader.project_state(BEFORE).apps
    old.get_model("settings_app", "Setting").objects.create(
        key=KEY, value=new_key(), provider="openai"
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE settings_app_setting SET value = '$kv1$r$00000000$AAAA'")

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())  # does not stop the deployment

    assert Setting.objects.defer("value").get(key=KEY).version == 1
    assert not SettingVersion.objects.exists()
