"""store_value: the one write path of the importers, atomic with its audit event."""

from __future__ import annotations

import pytest

from settings_app.importers import store
from settings_app.importers.store import Outcome, store_value
from settings_app.models import AuditAction, AuditEvent, Setting, SettingVersion
from tests.importers.conftest import run_command

pytestmark = pytest.mark.django_db

VALUE = "sk-proj-stored-by-the-importer-0001"


def test_creates_updates_or_keeps(django_user_model):
    user = django_user_model.objects.create_user("importer")
    assert (
        store_value("k", VALUE, provider="openai", replace=False, source="s", actor=user)
        is Outcome.CREATED
    )
    assert (
        store_value("k", VALUE, provider="openai", replace=False, source="s") is Outcome.UNCHANGED
    )
    assert (
        store_value("k", VALUE + "x", provider="openai", replace=False, source="s") is Outcome.KEPT
    )
    assert (
        store_value("k", VALUE + "x", provider="other", replace=True, source="s")
        is Outcome.REPLACED
    )
    setting = Setting.objects.get(key="k")
    assert (setting.value, setting.provider, setting.created_by) == (VALUE + "x", "openai", user)
    assert setting.updated_by is None
    events = AuditEvent.objects.filter(action=AuditAction.IMPORTED)
    assert [e.details["replaced"] for e in events.order_by("id")] == [False, True]


def test_write_and_audit_event_commit_together(monkeypatch):
    def broken_trail(*args, **kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(store.audit, "record_as_current_actor", broken_trail)
    with pytest.raises(RuntimeError):
        store_value("k", VALUE, provider="openai", replace=False, source="s")
    assert not Setting.objects.exists()


def test_setting_without_fingerprint_is_still_recognised(tmp_path):
    Setting.objects.create(key="openai_api_key", value=VALUE, provider="openai")
    Setting.objects.update(value_fingerprint=None)  # as a bulk update leaves it
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_API_KEY={VALUE}\n")
    run = run_command("import_env", str(path))
    assert "openai_api_key  exists" in run.out and "same value" in run.out


def test_undecryptable_existing_setting_fails_that_row_only(tmp_path):
    from django.db import connection

    Setting.objects.create(
        key="openai_api_key", value="sk-proj-will-break-000001", provider="openai"
    )
    Setting.objects.update(value_fingerprint=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE settings_app_setting SET value = 'garbage'")
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_API_KEY={VALUE}\nGROQ_API_KEY=gsk_still-imported-000001\n")

    run = run_command("import_env", str(path))

    assert "openai_api_key  failed" in run.out
    assert "the stored setting cannot be decrypted" in run.out
    assert run.exit_code == 1
    assert Setting.objects.filter(key="groq_api_key").exists()


def test_setting_created_concurrently_is_never_overwritten(monkeypatch):
    """Another writer creates the key between our read and our insert: we keep theirs."""
    Setting.objects.create(key="k", value="sk-proj-written-by-someone-else", provider="openai")
    real = Setting.objects.select_for_update
    calls = []

    def first_read_misses_it(*args, **kwargs):
        calls.append(1)
        return Setting.objects.none() if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(Setting.objects, "select_for_update", first_read_misses_it)

    outcome = store_value("k", VALUE, provider="openai", replace=False, source="s")

    # Our read misses it; set_value's locked read finds it and refuses to create; we look again.
    assert outcome is Outcome.KEPT and len(calls) == 3
    assert Setting.objects.get_value("k") == "sk-proj-written-by-someone-else"
    assert Setting.objects.get(key="k").version == 1
    assert list(SettingVersion.objects.values_list("version", flat=True)) == [1]
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORTED).exists()
