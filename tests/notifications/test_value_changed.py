"""`value_changed_at`: set when the value changes, and only then (not on metadata edits)."""

from __future__ import annotations

import datetime as dt

import pytest

from settings_app.encryption import keyring
from settings_app.models import Setting
from tests.admin.conftest import (  # noqa: F401  (fixtures)
    admin_client,
    change_url,
    form_data,
    leak_log,
    superuser,
)
from tests.notifications.conftest import START
from tests.support.raw_rows import rotate_deterministic

pytestmark = pytest.mark.django_db

LATER = START + dt.timedelta(days=10)


@pytest.fixture
def created(frozen, canary) -> Setting:
    setting = Setting.objects.create(key="openai_api_key", value=canary, provider="openai")
    frozen.move_to(LATER, tick=False)
    return setting


def changed_at() -> dt.datetime | None:
    return Setting.objects.get(key="openai_api_key").value_changed_at


def test_a_new_setting_starts_its_age_now(created) -> None:
    assert changed_at() == START


def test_metadata_edits_leave_it_alone(created) -> None:
    created.description = "Production"
    created.expires_at = dt.date(2026, 1, 1)
    created.rotate_every_days = 30
    created.save()
    created.record_verification("valid", "HTTP 200")

    assert changed_at() == START


def test_a_new_value_sets_it(created, canary) -> None:
    created.value = canary + "new"
    created.save()

    assert changed_at() == LATER


def test_a_new_value_saved_with_update_fields_sets_it(created, canary) -> None:
    created.value = canary + "new"
    created.save(update_fields=["value"])

    assert changed_at() == LATER


def test_saving_the_same_value_again_is_not_a_change(created, canary) -> None:
    created.value = canary
    created.save()
    Setting.objects.get().save()

    assert changed_at() == START


def test_a_deterministic_key_rotation_is_not_a_value_change(created, settings) -> None:
    rotate_deterministic(settings)
    keyring.reset()

    setting = Setting.objects.get()
    setting.description = "after the rotation"
    setting.save()

    assert changed_at() == START


def test_the_admin_form_changes_it_only_for_a_new_value(created, admin_client, leak_log, canary):  # noqa: F811
    leak_log.extend([canary, canary + "replaced"])
    admin_client.post(change_url(created), form_data(description="Edited"))
    assert changed_at() == START

    admin_client.post(change_url(created), form_data(value=canary + "replaced"))
    assert changed_at() == LATER


def test_it_is_the_newest_versions_creation_time(created, canary) -> None:
    Setting.objects.set_value("openai_api_key", canary + "second")

    setting = Setting.objects.get()
    newest = setting.versions.order_by("-version").first()
    assert newest is not None and newest.version == 2
    assert setting.value_changed_at == newest.created_at == LATER


def test_set_value_with_the_same_value_is_not_a_change(created, canary) -> None:
    Setting.objects.set_value("openai_api_key", canary)

    assert changed_at() == START


def test_a_rollback_is_a_new_value_from_now(created, canary, frozen) -> None:
    Setting.objects.set_value("openai_api_key", canary + "second")
    frozen.move_to(LATER + dt.timedelta(days=5), tick=False)

    Setting.objects.rollback("openai_api_key", 1)

    assert changed_at() == LATER + dt.timedelta(days=5)
