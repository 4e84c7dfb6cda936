"""The key-check record: a changed salt (or lost keys) is named as such, not as n bad rows.

After a changed or lost salt every value reports "unknown key id", with advice about fallback
keys. The record, written under the keys that wrote the data, lets encryption_status and the
admin say plainly that the salt or keys differ from those that wrote the data.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from settings_app import reencryption
from settings_app.encryption.key_advice import PRIMARY, SALT
from settings_app.key_check.models import KeyCheck
from settings_app.key_check.service import KeyCheckState, check_keys, ensure_key_check
from tests.support.keys import fake_key
from tests.support.raw_rows import (
    drop_fallbacks,
    insert_raw,
    rotate_deterministic,
    rotate_primary,
    tampered,
)
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/settings_app/setting/"
SALT_DIFFERS = "The salt or keys differ from those that wrote the data"


@pytest.fixture(autouse=True)
def record() -> None:
    """A record under the test keys, as migrate leaves it (written again after each flush)."""
    KeyCheck.objects.all().delete()
    assert ensure_key_check()


def status() -> str:
    out = io.StringIO()
    call_command("encryption_status", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_changed_salt_is_named_by_encryption_status(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    with pytest.raises(CommandError) as raised:
        status()
    message = str(raised.value)
    assert raised.value.returncode == 1
    assert SALT_DIFFERS in message
    assert f"The salt is the likely cause ({SALT})" in message


def test_a_changed_salt_is_named_even_before_any_value_exists(settings) -> None:
    """Without the record an empty database says "OK" to any key set."""
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    with pytest.raises(CommandError, match=SALT_DIFFERS):
        status()


def test_the_admin_says_it_too(settings, admin_client: Client) -> None:
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    page = admin_client.get(CHANGELIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert SALT_DIFFERS in text and SALT in text


def test_the_admin_is_quiet_when_the_keys_match(admin_client: Client) -> None:
    assert "wrote the data" not in admin_client.get(CHANGELIST).content.decode()


def test_a_rotation_that_keeps_the_old_keys_as_fallbacks_still_verifies(settings) -> None:
    Secret.objects.create(value="v")
    rotate_primary(settings)
    rotate_deterministic(settings)
    assert check_keys().state is KeyCheckState.STALE
    assert "OK" in status()

    reencryption.reencrypt(reencryption.encrypted_models())  # refreshes the record too
    assert check_keys().state is KeyCheckState.CURRENT
    drop_fallbacks(settings)
    assert check_keys().state is KeyCheckState.CURRENT
    assert "OK" in status()


def test_a_lost_primary_key_is_named_and_the_salt_is_not_blamed(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY = fake_key("a-primary-key-nobody-wrote-with")
    result = check_keys()
    assert (result.state, result.failed) == (KeyCheckState.MISMATCH, (PRIMARY,))
    assert PRIMARY in result.message and "salt is right" in result.message
    assert "likely cause" not in result.message


def test_reencrypt_never_blesses_keys_that_cannot_open_the_record(settings) -> None:
    Secret.objects.create(value="v")
    before = KeyCheck.objects.get()
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    report = reencryption.reencrypt(reencryption.encrypted_models())
    assert report.failed == 1
    after = KeyCheck.objects.get()
    assert (after.randomized, after.deterministic) == (before.randomized, before.deterministic)
    assert check_keys().state is KeyCheckState.MISMATCH


def test_a_tampered_record_is_reported_and_fails_the_status() -> None:
    KeyCheck.objects.update(randomized=tampered(KeyCheck.objects.get().randomized))
    assert check_keys().state is KeyCheckState.DAMAGED
    with pytest.raises(CommandError, match="key-check record"):
        status()
    reencryption.reencrypt(reencryption.encrypted_models())  # every value verifies: rewritten
    assert check_keys().state is KeyCheckState.CURRENT


def test_no_record_is_written_under_keys_that_stored_values_contradict(settings) -> None:
    KeyCheck.objects.all().delete()
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    assert not ensure_key_check()
    assert not KeyCheck.objects.exists()
    assert check_keys().state is KeyCheckState.MISSING


def test_legacy_plaintext_does_not_stop_the_record(settings) -> None:
    KeyCheck.objects.all().delete()
    insert_raw("testapp_secret", "legacy plaintext")
    assert ensure_key_check()


def test_without_keys_at_migrate_time_reencrypt_writes_it_later(settings) -> None:
    KeyCheck.objects.all().delete()
    settings.KEYVAULT_PRIMARY_KEY = ""
    call_command("migrate", verbosity=0)  # post_migrate: keys unusable, nothing written
    assert not KeyCheck.objects.exists()
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-configured-later")
    assert "OK" in status()  # no record is not an error
    reencryption.reencrypt(reencryption.encrypted_models())
    assert check_keys().state is KeyCheckState.CURRENT


def test_migrate_writes_the_record(settings) -> None:
    KeyCheck.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert check_keys().state is KeyCheckState.CURRENT
