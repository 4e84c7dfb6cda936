"""find_settings_holding: matches through the blind index, never by decrypting stored values."""

from __future__ import annotations

import pytest
from django.db import connection

from settings_app import providers
from settings_app.models import Setting
from settings_app.versions.search import SecretSearch, VersionMatch, find_settings_holding
from tests.reencryption.rows import set_raw
from tests.support.keys import fake_key

pytestmark = pytest.mark.django_db


def test_lists_every_setting_holding_the_value() -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-leaked-0001")
    Setting.objects.create(key="openai_backup", value="sk-proj-leaked-0001")
    Setting.objects.create(key="other_key", value="sk-proj-innocent-02")
    found = find_settings_holding("sk-proj-leaked-0001")
    assert found == SecretSearch(keys=["openai_api_key", "openai_backup"], unindexed=0, past=[])
    assert "leaked" not in repr(found)


def test_a_value_replaced_since_is_listed_as_a_past_version() -> None:
    Setting.objects.set_value("openai_api_key", "sk-proj-leaked-0001")
    replaced = Setting.objects.set_value("openai_api_key", "sk-proj-rotated-002")
    found = find_settings_holding("sk-proj-leaked-0001")
    assert (found.keys, found.found) == ([], True)
    assert found.past == [
        VersionMatch("openai_api_key", 1, replaced.versions.get(version=2).created_at)
    ]
    assert "leaked" not in repr(found)


@pytest.mark.parametrize(
    "pasted", ["  sk-proj-pasted-0001\n", "\r\n\tsk-proj-pasted-0001\u00a0\u3000"]
)
def test_the_value_is_cleaned_as_stored_values_are(pasted: str) -> None:
    setting = Setting(key="openai_api_key", provider="openai", value=pasted)
    setting.full_clean()  # as the admin form saves it: through providers.clean_value
    setting.save()
    assert find_settings_holding(pasted).keys == ["openai_api_key"]
    assert find_settings_holding(providers.clean_whitespace(pasted)).keys == ["openai_api_key"]


def test_inner_whitespace_is_part_of_the_value_searched_for() -> None:
    Setting.objects.create(key="passphrase", value="correct horse battery", provider="other")
    assert find_settings_holding(" correct horse battery\n").keys == ["passphrase"]
    assert find_settings_holding("correcthorsebattery").keys == []
    assert find_settings_holding("correct horse\nbattery").keys == []


def test_a_near_miss_matches_nothing() -> None:
    Setting.objects.create(key="a", value="sk-proj-something-1")
    assert find_settings_holding("sk-proj-something-2").keys == []
    assert find_settings_holding("SK-PROJ-SOMETHING-1").keys == []


def test_does_not_decrypt_rows() -> None:
    Setting.objects.create(key="good", value="sk-proj-target-0001")
    Setting.objects.create(key="broken", value="sk-proj-other-00002")
    with connection.cursor() as cursor:  # an undecryptable row must not stop the search
        cursor.execute("UPDATE settings_app_setting SET value = 'garbage' WHERE key = 'broken'")
    assert find_settings_holding("sk-proj-target-0001").keys == ["good"]


def test_matches_values_fingerprinted_under_a_fallback_key(settings) -> None:
    Setting.objects.create(key="old", value="sk-proj-before-rotate")
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-rotated")
    assert find_settings_holding("sk-proj-before-rotate").keys == ["old"]


def test_settings_without_a_fingerprint_are_counted() -> None:
    missing = Setting.objects.create(key="missing", value="sk-proj-unindexed-01")
    set_raw("settings_app_setting", missing.pk, None, column="value_fingerprint")
    assert find_settings_holding("sk-proj-unindexed-01") == SecretSearch(
        keys=[], unindexed=1, past=[]
    )


@pytest.mark.parametrize("blank", ["", "   \n", "\t\r\n"])
def test_a_blank_value_is_refused(blank: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        find_settings_holding(blank)
