"""The rotation runbook with structured credentials: field fingerprints follow the keys.

Rotate (`init_encryption --rotate --write`), `reencrypt`, retire the old keys: `find_secret`
still finds a credential, and its past versions, by one secret field.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from dotenv import dotenv_values

from settings_app import reencryption
from settings_app.credentials.services import set_credential
from settings_app.encryption import keyring
from settings_app.encryption.key_advice import (
    DETERMINISTIC,
    DETERMINISTIC_FALLBACKS,
    PRIMARY,
    PRIMARY_FALLBACKS,
)
from settings_app.models import Setting
from settings_app.versions.search import find_settings_holding
from tests.credentials import samples
from tests.support.raw_rows import drop_fallbacks, raw_values, rotate_deterministic, set_raw

pytestmark = pytest.mark.django_db

ROTATED_SECRET = "y" * 40  # the AWS secret access key of version 2


def save_two_versions() -> Setting:
    set_credential("aws", "bedrock", samples.BEDROCK)
    return set_credential(
        "aws", "bedrock", {**samples.BEDROCK, "secret_access_key": ROTATED_SECRET}
    )


def rotate_with_init_encryption(settings: Any, tmp_path: Path) -> None:
    """`init_encryption --rotate --include-deterministic --write`, then deployed as written."""
    env_file = tmp_path / "rotated.env"
    call_command(
        "init_encryption",
        "--rotate",
        "--include-deterministic",
        "--write",
        str(env_file),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    values = dotenv_values(env_file)
    settings.KEYVAULT_PRIMARY_KEY = values[PRIMARY]
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = str(values[PRIMARY_FALLBACKS]).split(",")
    settings.KEYVAULT_DETERMINISTIC_KEY = values[DETERMINISTIC]
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = str(values[DETERMINISTIC_FALLBACKS]).split(",")


def find_secret(secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(secret))
    out = io.StringIO()
    call_command("find_secret", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def deterministic_fallback_retirable() -> bool:
    status = reencryption.encryption_status()
    (fallback,) = [key for key in status.fallbacks if key.variable == DETERMINISTIC_FALLBACKS]
    return fallback.retirable


def test_the_runbook_keeps_every_field_findable(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_two_versions()
    rotate_with_init_encryption(settings, tmp_path)
    call_command("reencrypt", stdout=io.StringIO(), stderr=io.StringIO())
    assert deterministic_fallback_retirable()
    drop_fallbacks(settings)  # the old keys retired

    current = find_secret(ROTATED_SECRET, monkeypatch)
    assert "1 setting(s) hold this value:\n  aws\n" in current
    past = find_secret(samples.AWS_SECRET, monkeypatch)
    assert "0 setting(s)" in past and "held by aws version 1" in past
    credential = Setting.objects.get_credential("aws")
    assert credential is not None and credential.secrets["secret_access_key"] == ROTATED_SECRET


def test_reencrypt_moves_field_fingerprints_to_the_current_key(settings: Any) -> None:
    save_two_versions()
    rotate_deterministic(settings)
    new_id = keyring.get_keyset().deterministic[0].key_id
    report = reencryption.reencrypt(reencryption.encrypted_models())
    assert report.failed == 0
    for table in ("settings_app_setting", "settings_app_settingversion"):
        for stored in raw_values(table, "secret_fingerprints"):
            assert {fp.split(":")[0] for fp in stored.split()} == {new_id}
    # A second run finds every field fingerprint current: nothing more to write.
    assert reencryption.reencrypt(reencryption.encrypted_models()).updated == 0


def test_a_fallback_still_naming_field_fingerprints_is_not_retirable(settings: Any) -> None:
    """As after a `reencrypt` that refreshed only the whole value's fingerprint."""
    setting = save_two_versions()
    before = raw_values("settings_app_setting", "secret_fingerprints")[0]
    rotate_deterministic(settings)
    reencryption.reencrypt(reencryption.encrypted_models())
    set_raw("settings_app_setting", setting.pk, before, column="secret_fingerprints")
    assert not deterministic_fallback_retirable()
    reencryption.reencrypt(reencryption.encrypted_models())
    assert deterministic_fallback_retirable()
    drop_fallbacks(settings)
    assert find_settings_holding(ROTATED_SECRET).keys == ["aws"]


def test_a_versions_missing_field_fingerprints_are_filled_in(settings: Any) -> None:
    """Versions saved before they had the column (migration 0029) are indexed by `reencrypt`."""
    save_two_versions()
    with_column_empty = Setting.objects.get(key="aws").versions.get(version=1)
    set_raw("settings_app_settingversion", with_column_empty.pk, None, column="secret_fingerprints")
    assert not find_settings_holding(samples.AWS_SECRET).found
    reencryption.reencrypt(reencryption.encrypted_models())
    assert [m.version for m in find_settings_holding(samples.AWS_SECRET).past] == [1]


def test_single_key_values_keep_no_field_fingerprints(settings: Any) -> None:
    Setting.objects.set_value("openai_api_key", "sk-proj-single-key-0001")
    rotate_deterministic(settings)
    reencryption.reencrypt(reencryption.encrypted_models())
    assert raw_values("settings_app_setting", "secret_fingerprints") == [None]
    drop_fallbacks(settings)
    assert find_settings_holding("sk-proj-single-key-0001").keys == ["openai_api_key"]
