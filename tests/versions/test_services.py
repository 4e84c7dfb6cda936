"""set_value (check-and-set), rollback and destroy: one transaction each, with their audit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from settings_app.audit import chain
from settings_app.models import AuditAction, AuditEvent, DeletedSetting, Setting, SettingVersion
from settings_app.providers.classification import VerificationResult
from settings_app.versions import (
    NothingToRestore,
    VersionConflict,
    VersionDestroyed,
    VersionNotFound,
    services,
)
from settings_app.versions.errors import VersionIsCurrent
from settings_app.versions.services import destroy_version
from tests.versions.conftest import KEY, masked, new_key

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- set_value --------------------------------------------------------------------------------


def test_set_value_creates_a_setting_with_the_provider_its_key_names() -> None:
    value = new_key()
    setting = Setting.objects.set_value(KEY, value)

    stored = Setting.objects.get(key=KEY)
    assert (stored.provider, stored.value, stored.version) == ("openai", value, 1)
    assert setting.versions.get().value == value


def test_set_value_takes_an_explicit_provider_for_new_settings() -> None:
    Setting.objects.set_value("staging_llm", "a-staging-key-0123456789", provider="mistral")
    assert Setting.objects.get(key="staging_llm").provider == "mistral"


@pytest.mark.parametrize(
    ("key", "value", "provider", "says"),
    [
        ("bad key", "sk-proj-" + "a" * 30, None, "Character 4 of the key is a space"),
        (KEY, "short", None, "too short"),
        ("x_api_key", "a-perfectly-fine-key-123456", "nonsense", "Unknown provider 'nonsense'"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(
    key: str, value: str, provider: str | None, says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        Setting.objects.set_value(key, value, provider=provider)
    assert not Setting.objects.exists()
    assert not SettingVersion.objects.exists()


def test_set_value_at_the_expected_version_writes_the_next_one() -> None:
    Setting.objects.set_value(KEY, new_key())
    replacement = new_key()
    setting = Setting.objects.set_value(KEY, replacement, expected_version=1)

    assert setting.version == 2
    assert Setting.objects.get_value(KEY) == replacement


def test_a_stale_expected_version_is_refused_naming_who_and_when() -> None:
    kim = User.objects.create_user("kim")
    Setting.objects.set_value(KEY, new_key())
    current = new_key()
    Setting.objects.set_value(KEY, current, actor=kim)
    changed_at = SettingVersion.objects.get(version=2).created_at

    with pytest.raises(VersionConflict) as refused:
        Setting.objects.set_value(KEY, new_key(), expected_version=1)

    conflict = refused.value
    assert (conflict.expected, conflict.current, conflict.changed_by) == (1, 2, "kim")
    assert conflict.changed_at == changed_at
    assert "is at version 2, not 1: changed by kim at " in str(conflict)
    assert changed_at.strftime("%Y-%m-%d %H:%M:%S") in str(conflict)
    assert Setting.objects.get_value(KEY) == current  # nothing saved
    assert Setting.objects.get(key=KEY).versions.count() == 2
    [refusal] = events(AuditAction.STALE_WRITE_REFUSED)
    assert refusal.details == {"expected_version": 1, "current_version": 2}


def test_expected_version_0_only_creates() -> None:
    Setting.objects.set_value(KEY, new_key(), expected_version=0)
    with pytest.raises(VersionConflict, match="already exists"):
        Setting.objects.set_value(KEY, new_key(), expected_version=0)


def test_expecting_a_version_of_a_missing_setting_is_a_conflict() -> None:
    with pytest.raises(VersionConflict, match="does not exist"):
        Setting.objects.set_value(KEY, new_key(), expected_version=3)
    assert not Setting.objects.exists()


@pytest.mark.parametrize("expected", [-1, "2", 1.0, True])
def test_an_expected_version_that_is_no_version_number_is_a_programming_error(expected) -> None:
    with pytest.raises((TypeError, ValueError), match="expected_version"):
        Setting.objects.set_value(KEY, new_key(), expected_version=expected)


def test_writing_the_value_already_stored_is_no_change() -> None:
    value = new_key()
    Setting.objects.set_value(KEY, value)
    before = AuditEvent.objects.count()

    setting = Setting.objects.set_value(KEY, f"  {value}\n", expected_version=1)

    assert setting.version == 1
    assert AuditEvent.objects.count() == before


def test_the_actor_is_who_the_change_and_its_event_are_attributed_to() -> None:
    kim = User.objects.create_user("kim")
    setting = Setting.objects.set_value(KEY, new_key(), actor=kim)

    assert (setting.created_by, setting.updated_by) == (kim, kim)
    [created] = events(AuditAction.CREATED)
    assert (created.actor_label, created.details["version"]) == ("kim", 1)


def test_if_the_audit_event_cannot_be_written_nothing_is_saved(monkeypatch) -> None:
    first = new_key()
    Setting.objects.set_value(KEY, first)

    def broken(*args, **kwargs):
        raise IntegrityError("the audit table is unavailable")

    monkeypatch.setattr(chain, "append_many", broken)  # where every event is inserted
    with pytest.raises(IntegrityError):
        Setting.objects.set_value(KEY, new_key())

    setting = Setting.objects.get(key=KEY)
    assert (setting.value, setting.version, setting.versions.count()) == (first, 1, 1)


# --- rollback ---------------------------------------------------------------------------------


def test_rollback_restores_an_old_value_as_a_new_version(three_versions, values) -> None:
    setting = Setting.objects.rollback(KEY, 1)

    assert setting.version == 4
    assert Setting.objects.get_value(KEY) == values[0]
    newest = setting.versions.get(version=4)
    assert (newest.value, newest.mask, newest.restored_from) == (values[0], masked(values[0]), 1)
    assert list(setting.versions.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
        3,
        4,
    ]  # append-only: nothing in between is lost


def test_rollback_is_audited_from_and_to(three_versions) -> None:
    kim = User.objects.create_user("kim")
    Setting.objects.rollback(KEY, 2, actor=kim)

    [restored] = events(AuditAction.VERSION_RESTORED)
    assert restored.actor_label == "kim"
    assert restored.details == {"from_version": 3, "restored_version": 2, "new_version": 4}
    assert "value" not in str(restored.details).lower()


def test_a_restored_value_keeps_the_status_it_had_unless_verified_now(three_versions) -> None:
    setting = Setting.objects.get(key=KEY)
    SettingVersion.objects.filter(setting=setting, version=1).update(verification_status="valid")

    restored = Setting.objects.rollback(KEY, 1)
    assert restored.verification_status == "valid"
    assert "not checked again" in restored.verification_detail

    checked = VerificationResult("invalid", "HTTP 401: Incorrect API key provided.")
    again = services.rollback(KEY, 2, verification=checked)  # the admin's verify-first path
    assert (again.verification_status, again.last_verified_at is not None) == ("invalid", True)
    assert again.versions.get(version=again.version).verification_status == "invalid"


@pytest.mark.parametrize(
    ("number", "error", "says"),
    [
        (9, VersionNotFound, "has no version 9"),
        (3, NothingToRestore, "holds the current value already"),
    ],
)
def test_rollback_refuses_what_it_cannot_restore(three_versions, number, error, says) -> None:
    with pytest.raises(error, match=says):
        Setting.objects.rollback(KEY, number)
    assert Setting.objects.get(key=KEY).version == 3


def test_a_version_with_the_current_value_is_nothing_to_restore(three_versions) -> None:
    Setting.objects.rollback(KEY, 1)  # version 4 holds version 1's value
    with pytest.raises(NothingToRestore):
        Setting.objects.rollback(KEY, 1)


def test_rollback_of_a_missing_setting_says_so() -> None:
    with pytest.raises(Setting.DoesNotExist, match="no setting 'nope'"):
        Setting.objects.rollback("nope", 1)


def test_rollback_checks_the_expected_version_too(three_versions) -> None:
    with pytest.raises(VersionConflict):
        Setting.objects.rollback(KEY, 1, expected_version=2)
    assert Setting.objects.get(key=KEY).version == 3
    assert len(events(AuditAction.STALE_WRITE_REFUSED)) == 1


# --- destroy ----------------------------------------------------------------------------------


def test_destroying_a_version_removes_its_ciphertext_and_keeps_its_metadata(
    three_versions, values
) -> None:
    destroy_version(KEY, 1)

    row = SettingVersion.objects.get(setting=three_versions, version=1)
    assert (row.value, row.value_fingerprint) == (None, None)
    assert (row.mask, row.created_by_label, row.is_destroyed) == (masked(values[0]), "code", True)
    assert row.destroyed_by_label == "code"
    [destroyed] = events(AuditAction.VERSION_DESTROYED)
    assert (destroyed.setting_key, destroyed.details) == (KEY, {"version": 1})
    with pytest.raises(VersionDestroyed, match="destroyed"):
        Setting.objects.rollback(KEY, 1)


def test_the_current_version_cannot_be_destroyed(three_versions) -> None:
    with pytest.raises(VersionIsCurrent, match="current value"):
        destroy_version(KEY, 3)
    with pytest.raises(VersionNotFound):
        destroy_version(KEY, 7)
    destroy_version(KEY, 2)
    with pytest.raises(VersionDestroyed, match="already destroyed"):
        destroy_version(KEY, 2)


def test_purging_a_setting_removes_its_versions_ciphertexts(three_versions) -> None:
    three_versions.delete()  # to the trash: the versions stay, so a restore brings them back
    assert SettingVersion.objects.count() == 3
    three_versions.purge()
    assert not SettingVersion.objects.exists()


def test_purging_settings_deleted_in_bulk_removes_their_versions_too(three_versions) -> None:
    from settings_app.trash.services import purge

    Setting.objects.set_value("anthropic_api_key", "sk-ant-api03-" + "x1" * 20)
    Setting.objects.all().delete()
    for trashed in DeletedSetting.objects.all():
        purge(trashed)
    assert not SettingVersion.objects.exists()


def test_an_old_version_replaces_a_current_value_the_keys_cannot_read(
    three_versions, values
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_app_setting SET value = '$kv1$r$00000000$AAAA' WHERE id = %s",
            [three_versions.pk],
        )
    setting = Setting.objects.rollback(KEY, 2)

    assert (setting.version, Setting.objects.get_value(KEY)) == (4, values[1])


def test_set_value_replaces_a_current_value_the_keys_cannot_read(three_versions) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_app_setting SET value = '$kv1$r$00000000$AAAA' WHERE id = %s",
            [three_versions.pk],
        )
    replacement = new_key()
    assert Setting.objects.set_value(KEY, replacement, expected_version=3).version == 4
    assert Setting.objects.get_value(KEY) == replacement
