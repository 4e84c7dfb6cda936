"""Migrating a database that already holds settings: value_changed_at from version history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from settings_app.models import Setting

BEFORE = [("settings_app", "0015_audit_actions_for_api")]
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def migrator(transactional_db: None) -> Iterator[MigrationExecutor]:
    """An executor at the last migration before reminders; back at the latest afterwards."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(latest)


def test_existing_settings_take_their_newest_versions_time(migrator) -> None:
    old = migrator.loader.project_state(BEFORE).apps
    setting_model = old.get_model("settings_app", "Setting")
    version_model = old.get_model("settings_app", "SettingVersion")
    with_history = setting_model.objects.create(
        key="openai_api_key", value="sk-proj-migrate-0123456789", provider="openai", version=3
    )
    for number, days in ((1, 0), (3, 40), (2, 20)):  # inserted out of order on purpose
        version_model.objects.create(
            setting=with_history,
            version=number,
            value=f"sk-proj-migrate-{number}-0123456789",
            mask="x",
            created_at=T0 + dt.timedelta(days=days),
            created_by_label="kim",
        )
    setting_model.objects.create(
        key="no_history", value="sk-proj-nohistory-0123456", provider="openai"
    )
    setting_model.objects.filter(key="no_history").update(updated_at=T0 - dt.timedelta(days=7))

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())

    changed = dict(Setting.objects.defer("value").values_list("key", "value_changed_at"))
    assert changed == {
        "openai_api_key": T0 + dt.timedelta(days=40),
        "no_history": T0 - dt.timedelta(days=7),
    }
