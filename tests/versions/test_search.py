"""find_settings_holding: matches through the blind index, never by decrypting stored values."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from settings_app import providers
from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from settings_app.versions.search import SecretSearch, VersionMatch, find_settings_holding
from settings_app.versions.services import destroy_version
from tests.credentials import samples
from tests.support.keys import fake_key
from tests.support.raw_rows import raw_values, set_raw

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


# --- structured credentials: found by any one secret field, in past versions too ------------

ROTATED_SECRET = "x" * 40


def replaced_bedrock_secret() -> Setting:
    set_credential("aws", "bedrock", samples.BEDROCK)
    return set_credential(
        "aws", "bedrock", {**samples.BEDROCK, "secret_access_key": ROTATED_SECRET}
    )


def test_a_replaced_credential_is_found_by_one_field_of_its_past_version() -> None:
    replaced = replaced_bedrock_secret()
    found = find_settings_holding(f" {samples.AWS_SECRET}\n")
    assert found.keys == []
    assert found.past == [VersionMatch("aws", 1, replaced.versions.get(version=2).created_at)]
    assert find_settings_holding(ROTATED_SECRET).keys == ["aws"]
    assert find_settings_holding(ROTATED_SECRET).past == []
    assert samples.AWS_SECRET not in repr(found)


def test_a_field_kept_across_versions_is_found_now_and_in_the_past() -> None:
    set_credential("azure", "azure_openai", samples.AZURE)
    set_credential("azure", "azure_openai", {**samples.AZURE, "deployment": "gpt-4o-mini"})
    found = find_settings_holding(samples.AZURE_KEY)
    assert (found.keys, [(m.setting_key, m.version) for m in found.past]) == (
        ["azure"],
        [("azure", 1)],
    )


def test_a_past_versions_routing_fields_are_not_secrets_and_find_nothing() -> None:
    replaced_bedrock_secret()
    assert not find_settings_holding(samples.BEDROCK["access_key_id"]).found
    assert not find_settings_holding(samples.BEDROCK["region"]).found


def test_a_destroyed_version_is_not_found_by_its_fields() -> None:
    replaced_bedrock_secret()
    destroy_version("aws", 1)
    assert not find_settings_holding(samples.AWS_SECRET).found
    assert raw_values("settings_app_settingversion", "secret_fingerprints")[0] is None


def test_past_field_fingerprints_are_keyed_per_column_never_plain_hashes() -> None:
    replaced_bedrock_secret()
    stored = " ".join(
        filter(None, raw_values("settings_app_settingversion", "secret_fingerprints"))
    )
    unkeyed = hashlib.sha256(samples.AWS_SECRET.encode()).hexdigest()
    assert samples.AWS_SECRET not in stored and unkeyed[:32] not in stored
    # Keyed for the versions' column: the current value's fingerprint of the same secret differs.
    current = Setting._meta.get_field("value_fingerprint").index().digest(ROTATED_SECRET)
    assert Setting.objects.get(key="aws").secret_fingerprints == current
    assert current not in stored
