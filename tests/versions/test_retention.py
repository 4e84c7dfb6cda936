"""Retention: the current version and KEYVAULT_MAX_VERSIONS past ones, read at call time."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from settings_app.models import Setting
from settings_app.versions import VersionNotFound
from tests.versions.conftest import KEY, new_key

pytestmark = pytest.mark.django_db


def save_times(count: int) -> Setting:
    for _ in range(count):
        setting = Setting.objects.set_value(KEY, new_key())
    return setting


def kept(setting: Setting) -> list[int]:
    return list(setting.versions.order_by("version").values_list("version", flat=True))


def test_by_default_ten_past_versions_are_kept_besides_the_current_one() -> None:
    setting = save_times(14)
    assert kept(setting) == list(range(4, 15))


def test_the_limit_is_read_at_call_time(settings) -> None:
    save_times(5)
    settings.KEYVAULT_MAX_VERSIONS = 2
    setting = save_times(1)
    assert kept(setting) == [4, 5, 6]

    settings.KEYVAULT_MAX_VERSIONS = 0
    setting = save_times(1)
    assert kept(setting) == [7]


def test_a_pruned_version_cannot_be_restored_and_the_error_says_what_is_kept(settings) -> None:
    settings.KEYVAULT_MAX_VERSIONS = 1
    save_times(4)
    with pytest.raises(VersionNotFound, match=r"has no version 1 \(versions 3 to 4 are kept"):
        Setting.objects.rollback(KEY, 1)


def test_pruning_leaves_other_settings_alone(settings) -> None:
    settings.KEYVAULT_MAX_VERSIONS = 1
    other = Setting.objects.set_value("mistral_api_key", "mistral-key-0123456789abcdef")
    Setting.objects.set_value("mistral_api_key", "mistral-key-abcdef0123456789")
    save_times(5)
    assert kept(other) == [1, 2]


@pytest.mark.parametrize("bad", [-1, "10", 2.5, True])
def test_a_bad_limit_is_refused_with_a_clear_message_and_a_check(settings, bad) -> None:
    settings.KEYVAULT_MAX_VERSIONS = bad
    with pytest.raises(ImproperlyConfigured, match="KEYVAULT_MAX_VERSIONS is the number of past"):
        save_times(1)
    assert [m.id for m in run_checks() if m.id == "keyvault.E020"] == ["keyvault.E020"]
    assert not Setting.objects.exists()  # the failed save left nothing behind


def test_the_check_is_quiet_for_a_good_limit(settings) -> None:
    settings.KEYVAULT_MAX_VERSIONS = 3
    assert not [m for m in run_checks() if m.id == "keyvault.E020"]
