"""A change and its audit event commit together or not at all, on every path that changes a key.

The database is made to refuse the audit insert (as a full disk, a lock timeout or a revoked
grant would); the change must then be rolled back and the caller must get the error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client

from settings_app.models import AuditAction, AuditEvent, Setting, VerificationStatus
from settings_app.providers import verification

pytestmark = pytest.mark.django_db
SECRET = "sk-proj-atomic-Q8s7d6f5g4h3j2k1a0"
REPLACEMENT = "sk-proj-atomic-replacement-0123456789"
URL = "/admin/settings_app/setting/"


@contextmanager
def audit_refused() -> Iterator[None]:
    """Every INSERT into the audit table fails inside this block."""

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT") and AuditEvent._meta.db_table in sql:
            raise DatabaseError("the audit table refused the write (injected by the test)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def stored() -> Setting:
    return Setting.objects.create(key="openai_api_key", value=SECRET, provider="openai")


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client(raise_request_exception=False)  # a 500 page, as a browser gets it
    client.force_login(User.objects.create_superuser("root", "", "pw-for-tests-only"))
    return client


def unchanged(setting: Setting) -> bool:
    fresh = Setting.objects.get(pk=setting.pk)
    return (fresh.value, fresh.description, fresh.verification_status) == (
        SECRET,
        "",
        VerificationStatus.UNVERIFIED,
    ) and fresh.last_verified_at is None


def events_for(key: str) -> list[str]:
    return list(AuditEvent.objects.filter(setting_key=key).values_list("action", flat=True))


# --- ORM -------------------------------------------------------------------------------------
def test_create_is_rolled_back_when_its_event_cannot_be_written() -> None:
    with audit_refused(), pytest.raises(DatabaseError, match="refused"):
        Setting.objects.create(key="new_key", value=SECRET)
    assert not Setting.objects.filter(key="new_key").exists()


@pytest.mark.django_db(transaction=True)
def test_create_commits_nothing_in_autocommit_mode() -> None:
    """Outside any test transaction, as in production: the INSERT must not be committed."""
    with audit_refused(), pytest.raises(DatabaseError):
        Setting.objects.create(key="new_key", value=SECRET)
    assert not Setting.objects.filter(key="new_key").exists()


def test_save_is_rolled_back_when_its_event_cannot_be_written(stored: Setting) -> None:
    stored.value, stored.description = REPLACEMENT, "replaced"
    with audit_refused(), pytest.raises(DatabaseError):
        stored.save()
    assert unchanged(stored)
    assert events_for(stored.key) == ["created"]


def test_instance_delete_is_rolled_back(stored: Setting) -> None:
    with audit_refused(), pytest.raises(DatabaseError):
        stored.delete()
    assert unchanged(stored)


def test_queryset_delete_is_rolled_back(stored: Setting) -> None:
    Setting.objects.create(key="second_key", value=SECRET)
    with audit_refused(), pytest.raises(DatabaseError):
        Setting.objects.all().delete()
    assert Setting.objects.count() == 2


def test_bulk_create_records_one_event_per_row() -> None:
    Setting.objects.bulk_create(
        [Setting(key=f"bulk_{n}", value=SECRET, provider="openai") for n in range(3)]
    )
    created = AuditEvent.objects.filter(action=AuditAction.CREATED).order_by("sequence")
    assert [(e.setting_key, e.details) for e in created] == [
        (f"bulk_{n}", {"provider": "openai"}) for n in range(3)
    ]
    assert SECRET not in str(list(AuditEvent.objects.values()))


def test_bulk_create_is_rolled_back_when_its_events_cannot_be_written() -> None:
    with audit_refused(), pytest.raises(DatabaseError):
        Setting.objects.bulk_create([Setting(key=f"bulk_{n}", value=SECRET) for n in range(3)])
    assert not Setting.objects.exists()


@pytest.mark.parametrize("option", ["ignore_conflicts", "update_conflicts"])
def test_bulk_create_that_may_skip_rows_is_refused(option: str) -> None:
    with pytest.raises(ValueError, match="one audit event per row"):
        Setting.objects.bulk_create([Setting(key="bulk", value=SECRET)], **{option: True})
    assert not Setting.objects.exists()


# --- admin -----------------------------------------------------------------------------------
def test_admin_add_is_rolled_back(admin_client: Client) -> None:
    data = {"key": "new_key", "provider": "openai", "value": SECRET, "description": ""}
    with audit_refused():
        response = admin_client.post(URL + "add/", data)
    assert response.status_code == 500
    assert not Setting.objects.filter(key="new_key").exists()


def test_admin_change_is_rolled_back(admin_client: Client, stored: Setting) -> None:
    data = {
        "key": stored.key,
        "provider": "openai",
        "value": REPLACEMENT,
        "description": "x",
        "version": str(stored.version),
    }
    with audit_refused():
        response = admin_client.post(f"{URL}{stored.pk}/change/", data)
    assert response.status_code == 500
    assert unchanged(stored)


def test_admin_delete_is_rolled_back(admin_client: Client, stored: Setting) -> None:
    with audit_refused():
        response = admin_client.post(f"{URL}{stored.pk}/delete/", {"post": "yes"})
    assert response.status_code == 500
    assert unchanged(stored)


# --- verification ----------------------------------------------------------------------------
@pytest.fixture
def unknown_provider(stored: Setting) -> Setting:
    """Provider "other": verified without a network call (and recorded as unverified)."""
    Setting.objects.filter(pk=stored.pk).update(provider="other")
    return Setting.objects.get(pk=stored.pk)


def test_admin_verify_stores_no_status_without_its_event(
    admin_client: Client, unknown_provider: Setting
) -> None:
    with audit_refused():
        response = admin_client.post(f"{URL}{unknown_provider.pk}/verify/")
    assert response.status_code == 500
    assert unchanged(unknown_provider)
    assert events_for(unknown_provider.key) == ["created"]


def test_verify_setting_stores_no_status_without_its_event(unknown_provider: Setting) -> None:
    with audit_refused(), pytest.raises(DatabaseError):
        verification.verify_setting(unknown_provider)
    assert unchanged(unknown_provider)


def test_verify_settings_command_stores_no_status_without_its_event(
    unknown_provider: Setting,
) -> None:
    with audit_refused(), pytest.raises(DatabaseError):
        call_command("verify_settings", stdout=io.StringIO(), stderr=io.StringIO())
    assert unchanged(unknown_provider)
