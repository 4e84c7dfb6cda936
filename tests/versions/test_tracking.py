"""Every change of a value is a version, on every path; metadata edits are not."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from settings_app import audit
from settings_app.audit import chain
from settings_app.crypto import DecryptionError
from settings_app.models import AuditAction, AuditEvent, AuditSource, Setting, SettingVersion
from tests.versions.conftest import KEY, masked, new_key

pytestmark = pytest.mark.django_db


def numbers(setting: Setting) -> list[int]:
    return list(setting.versions.order_by("version").values_list("version", flat=True))


def raw_version_value(setting: Setting, number: int) -> str:
    table = SettingVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {table} WHERE setting_id = %s AND version = %s",
            [setting.pk, number],
        )
        return str(cursor.fetchone()[0])


def test_a_new_setting_is_version_1_and_its_value_is_that_version() -> None:
    value = new_key()
    setting = Setting.objects.create(key=KEY, value=value, provider="openai")

    assert setting.version == 1
    only = setting.versions.get()
    assert (only.version, only.value, only.mask) == (1, value, masked(value))


def test_each_change_of_the_value_adds_one_version_through_plain_orm_code() -> None:
    first, second = new_key(), new_key()
    setting = Setting.objects.create(key=KEY, value=first, provider="openai")
    setting.value = second
    setting.save()

    assert Setting.objects.get(pk=setting.pk).version == 2
    assert [(v.version, v.value) for v in setting.versions.order_by("version")] == [
        (1, first),
        (2, second),
    ]


def test_metadata_edits_and_rewriting_the_same_value_add_no_version() -> None:
    value = new_key()
    setting = Setting.objects.create(key=KEY, value=value, provider="openai")
    setting.description = "Production"
    setting.expires_at = datetime.date(2030, 1, 1)
    setting.save()
    again = Setting.objects.get(pk=setting.pk)
    again.value = value  # the same key pasted again
    again.save()

    assert Setting.objects.get(pk=setting.pk).version == 1
    assert numbers(setting) == [1]


def test_a_stale_instance_still_gets_the_next_number() -> None:
    """Two plain saves from instances loaded at the same version never share a number."""
    Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    first, second = Setting.objects.get(key=KEY), Setting.objects.get(key=KEY)
    first.value = new_key()
    first.save()
    second.value = new_key()
    second.save()

    setting = Setting.objects.get(key=KEY)
    assert setting.version == 3
    assert numbers(setting) == [1, 2, 3]
    assert setting.versions.get(version=3).value == setting.value == second.value


def test_saving_only_the_value_field_still_saves_its_version_and_fingerprint() -> None:
    setting = Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    replacement = new_key()
    setting.value = replacement
    setting.save(update_fields=["value"])

    stored = Setting.objects.get(pk=setting.pk)
    assert stored.version == 2
    assert Setting.objects.filter(value_fingerprint=stored.value_fingerprint).exists()
    fingerprint = Setting._meta.get_field("value_fingerprint")
    assert fingerprint.index().is_current(stored.value_fingerprint, replacement)


def test_a_save_without_the_value_loaded_adds_no_version() -> None:
    Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    partial = Setting.objects.only("pk", "key", "description").get(key=KEY)
    partial.description = "edited"
    partial.save()

    assert Setting.objects.get(key=KEY).version == 1


def test_a_refreshed_instance_is_compared_with_what_is_stored_now() -> None:
    setting = Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    Setting.objects.set_value(KEY, new_key())
    setting.refresh_from_db()
    setting.description = "edited after a refresh"
    setting.save()

    assert Setting.objects.get(key=KEY).version == 2  # the refresh is no change of value


def test_a_new_value_starts_unverified_and_a_verification_is_the_current_versions() -> None:
    setting = Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    setting.record_verification("valid", "HTTP 200: the key works.")
    assert setting.versions.get(version=1).verification_status == "valid"

    setting.value = new_key()
    setting.save()

    stored = Setting.objects.get(pk=setting.pk)
    assert (stored.verification_status, stored.last_verified_at) == ("unverified", None)
    statuses = dict(setting.versions.values_list("version", "verification_status"))
    assert statuses == {1: "valid", 2: "unverified"}


def test_a_version_is_encrypted_and_bound_to_its_own_column() -> None:
    value = new_key()
    setting = Setting.objects.create(key=KEY, value=value, provider="openai")
    stored = raw_version_value(setting, 1)

    assert stored.startswith("$kv1$") and value not in stored
    # A version's ciphertext pasted into Setting.value is refused: it belongs to another column.
    version_cipher = SettingVersion._meta.get_field("value").cipher()
    setting_cipher = Setting._meta.get_field("value").cipher()
    assert version_cipher.decrypt(stored) == value
    with pytest.raises(DecryptionError):
        setting_cipher.decrypt(stored)


def test_the_same_value_twice_is_two_different_ciphertexts() -> None:
    value, other = new_key(), new_key()
    setting = Setting.objects.create(key=KEY, value=value, provider="openai")
    Setting.objects.set_value(KEY, other)
    Setting.objects.rollback(KEY, 1)

    assert raw_version_value(setting, 1) != raw_version_value(setting, 3)  # randomized


def test_who_wrote_each_version_is_kept_for_users_commands_and_code() -> None:
    user = User.objects.create_user("kim")
    Setting.objects.set_value(KEY, new_key(), actor=user)
    with audit.acting(AuditSource.COMMAND, label="manage.py import_env"):
        Setting.objects.set_value(KEY, new_key())
    Setting.objects.set_value(KEY, new_key())

    labels = dict(SettingVersion.objects.values_list("version", "created_by_label"))
    assert labels == {1: "kim", 2: "manage.py import_env", 3: "code"}
    assert SettingVersion.objects.get(version=1).created_by == user


def test_the_change_event_names_the_version_it_created() -> None:
    setting = Setting.objects.create(key=KEY, value=new_key(), provider="openai")
    setting.value = new_key()
    setting.save()
    setting.description = "metadata only"
    setting.save()

    events = AuditEvent.objects.filter(setting_key=KEY).order_by("id")
    assert [(e.action, e.details.get("version")) for e in events] == [
        (AuditAction.CREATED, 1),
        (AuditAction.UPDATED, 2),
        (AuditAction.UPDATED, None),
    ]


def test_loaddata_of_a_dump_keeps_versions_as_dumped(tmp_path) -> None:
    """Fixtures carry their versions (raw saves add none), so a dump round-trips exactly."""
    Setting.objects.set_value(KEY, new_key())
    Setting.objects.set_value(KEY, new_key())
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "settings_app.Setting", "settings_app.SettingVersion", output=dump)
    SettingVersion.objects.all().delete()
    Setting.objects.all().delete()

    call_command("loaddata", dump, verbosity=0)

    setting = Setting.objects.get(key=KEY)
    assert setting.version == 2
    assert numbers(setting) == [1, 2]
    assert setting.versions.get(version=2).value == setting.value


def test_a_plain_save_whose_audit_event_fails_leaves_neither_value_nor_version(
    monkeypatch,
) -> None:
    first = new_key()
    setting = Setting.objects.create(key=KEY, value=first, provider="openai")

    def broken(*args, **kwargs):
        raise RuntimeError("the audit table is unavailable")

    monkeypatch.setattr(chain, "append_many", broken)  # where every event is inserted
    setting.value = new_key()
    with pytest.raises(RuntimeError):
        setting.save()

    stored = Setting.objects.get(pk=setting.pk)
    assert (stored.value, stored.version, stored.versions.count()) == (first, 1, 1)
