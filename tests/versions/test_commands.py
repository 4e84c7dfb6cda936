"""Operator commands cover versions: re-encryption, status, and the leak search."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from settings_app.models import AuditAction, AuditEvent, Setting, SettingVersion
from settings_app.versions.search import find_versions_holding
from settings_app.versions.services import destroy_version
from tests.support.keys import fake_key
from tests.versions.conftest import KEY

pytestmark = pytest.mark.django_db

VERSION_TABLE = SettingVersion._meta.db_table


def run(name: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> str:
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(name, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def key_ids_of_versions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {VERSION_TABLE} WHERE value IS NOT NULL")
        return {row[0].split("$")[3] for row in cursor.fetchall()}


def rotate_primary(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-next")


# --- find_secret ------------------------------------------------------------------------------


def test_find_secret_finds_a_leaked_key_in_a_past_version(monkeypatch, values, three_versions):
    out = run("find_secret", values[0] + "\n", monkeypatch)

    replaced_at = SettingVersion.objects.get(version=2).created_at
    assert "0 setting(s) hold this value" in out
    assert f"held by {KEY} version 1, replaced {replaced_at:%Y-%m-%d %H:%M:%S}" in out
    assert values[0] not in out
    [searched] = AuditEvent.objects.filter(action=AuditAction.SEARCHED)
    assert searched.details["past_matches"] == [f"{KEY} version 1"]


def test_the_current_version_is_reported_as_the_setting_not_as_a_past_one(
    monkeypatch, values, three_versions
) -> None:
    out = run("find_secret", values[2], monkeypatch)
    assert f"1 setting(s) hold this value:\n  {KEY}" in out
    assert "past version" not in out


def test_a_restored_key_is_found_now_and_in_the_past(monkeypatch, values, three_versions):
    Setting.objects.rollback(KEY, 1)
    matches = find_versions_holding(values[0])
    assert [(m.setting_key, m.version) for m in matches] == [(KEY, 1)]
    assert f"  {KEY}" in run("find_secret", values[0], monkeypatch)


def test_a_destroyed_version_is_no_longer_found(monkeypatch, values, three_versions) -> None:
    destroy_version(KEY, 1)
    assert find_versions_holding(values[0]) == []
    with pytest.raises(CommandError, match="No setting holds this value"):
        run("find_secret", values[0], monkeypatch)


def test_past_versions_are_found_under_a_fallback_deterministic_key(
    settings, values, three_versions
) -> None:
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-next")
    assert [m.version for m in find_versions_holding(values[1])] == [2]


# --- reencrypt and encryption_status ----------------------------------------------------------


def test_a_rotation_is_not_finished_while_a_past_version_sits_under_the_old_key(
    settings, three_versions
) -> None:
    rotate_primary(settings)
    call_command("reencrypt", "settings_app.Setting", stdout=io.StringIO())  # current values only
    status = run("encryption_status")

    assert "settings_app.SettingVersion.value" in status
    assert "still in use: run `manage.py reencrypt` before retiring it" in status

    reencrypted = run("reencrypt")
    after = run("encryption_status")

    assert "3 re-encrypted" in reencrypted  # the three versions; the setting was already done
    assert "no value uses it: it can be retired now" in after
    assert key_ids_of_versions() == {
        SettingVersion._meta.get_field("value").cipher().current_key_id
    }
    assert Setting.objects.rollback(KEY, 1).version == 4  # and every version still opens


def test_reencrypt_leaves_destroyed_versions_empty(settings, three_versions) -> None:
    destroy_version(KEY, 1)
    rotate_primary(settings)
    run("reencrypt")
    assert SettingVersion.objects.get(version=1).value is None
    assert "null" in run("encryption_status")
