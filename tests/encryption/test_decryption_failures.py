"""Settings whose value cannot be decrypted, through the ORM: they load, delete, and refuse use."""

from __future__ import annotations

import pytest

from settings_app.crypto import DecryptionError
from settings_app.models import AuditAction, AuditEvent, Setting, SettingVersion
from tests.support.unreadable_rows import BY_NAME, Breakage, every_breakage, raw_value

pytestmark = pytest.mark.django_db

SECRET = "sk-proj-UNREADABLE-0123456789abcdef"


@pytest.fixture
def stored() -> Setting:
    return Setting.objects.create(key="openai_api_key", value=SECRET, provider="openai")


def failure_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED))


@every_breakage
def test_get_value_raises_the_typed_error_never_ciphertext_or_none(
    breakage: Breakage, stored: Setting, settings
) -> None:
    breakage.break_row(stored, settings)

    with pytest.raises(DecryptionError) as raised:
        Setting.objects.get_value("openai_api_key")

    assert raised.value.reason.value == breakage.reason
    assert SECRET not in str(raised.value)
    assert Setting.objects.get_value("absent", default="fallback") == "fallback"


def test_get_value_audits_the_failure_once(stored: Setting, settings) -> None:
    BY_NAME["fallback removed"].break_row(stored, settings)

    for _ in range(3):
        with pytest.raises(DecryptionError):
            Setting.objects.get_value("openai_api_key")

    [event] = failure_events()
    assert event.setting_key == "openai_api_key"
    assert event.details["key_id"] == raw_value(stored).split("$")[3]
    assert event.details["reason"] == "unknown_key"


@every_breakage
def test_queryset_delete_trashes_unreadable_rows_and_purge_removes_them_audited(
    breakage: Breakage, stored: Setting, settings
) -> None:
    breakage.break_row(stored, settings)
    versions = stored.versions.count()

    _, per_model = Setting.objects.filter(pk=stored.pk).delete()

    assert per_model == {"settings_app.Setting": 1}
    assert not Setting.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETED, setting_key=stored.key).exists()
    # Purged: the setting, and with it its versions (their ciphertexts go too).
    assert versions >= 1
    _, per_model = Setting._base_manager.get(pk=stored.pk).purge()
    assert per_model == {"settings_app.Setting": 1, "settings_app.SettingVersion": versions}
    assert not SettingVersion.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PURGED, setting_key=stored.key).exists()


def test_a_verification_save_of_an_unreadable_row_leaves_the_ciphertext(
    stored: Setting, settings
) -> None:
    BY_NAME["truncated"].break_row(stored, settings)
    damaged = raw_value(stored)

    loaded = Setting.objects.get(pk=stored.pk)
    loaded.record_verification("unverified", "checked")
    with pytest.raises(DecryptionError):
        loaded.save()

    assert raw_value(stored) == damaged
