"""encryption_status(): which fallbacks can retire, which are in use (by how much), problems."""

from __future__ import annotations

import pytest

from settings_app import reencryption
from settings_app.crypto import KeyConfigurationError
from settings_app.encryption import keyring
from settings_app.encryption.key_advice import DETERMINISTIC_FALLBACKS, PRIMARY_FALLBACKS
from settings_app.models import Setting
from tests.support.raw_rows import (
    insert_raw,
    key_id,
    raw_values,
    rotate_deterministic,
    rotate_primary,
)
from tests.testapp.models import Secret, Token

pytestmark = pytest.mark.django_db


def test_no_fallback_configured_nothing_to_retire() -> None:
    Secret.objects.create(value="current")
    status = reencryption.encryption_status()
    assert (status.fallbacks, status.problems) == ([], 0)
    assert "testapp.Secret.value" in {result.label for result in status.surveys}


def test_a_fallback_stays_in_use_until_reencrypt_moves_its_values(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    old = key_id(raw_values("testapp_secret")[0])
    rotate_primary(settings)

    before = reencryption.encryption_status()
    assert before.fallbacks == [reencryption.FallbackKey(PRIMARY_FALLBACKS, old, uses=3)]
    assert (before.fallbacks_in_use, before.retirable_fallbacks) == (before.fallbacks, [])
    assert before.problems == 0  # values under a fallback key are readable: not a problem

    reencryption.reencrypt(reencryption.encrypted_models())
    after = reencryption.encryption_status()
    assert after.retirable_fallbacks == [reencryption.FallbackKey(PRIMARY_FALLBACKS, old, 0)]
    assert after.fallbacks_in_use == []


def test_fingerprints_keep_a_deterministic_fallback_in_use(settings) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    Token.objects.create(token="tok")
    old = key_id(raw_values("testapp_token", "token")[0])
    rotate_deterministic(settings)

    (in_use,) = reencryption.encryption_status().fallbacks
    # The token's envelope, the setting's fingerprint and that of its version 1 all name the
    # old deterministic key.
    fingerprints = raw_values("settings_app_setting", "value_fingerprint") + raw_values(
        "settings_app_settingversion", "value_fingerprint"
    )
    assert [fingerprint.split(":")[0] for fingerprint in fingerprints] == [old, old]
    assert (in_use.variable, in_use.key_id, in_use.uses) == (DETERMINISTIC_FALLBACKS, old, 3)
    Token.objects.all().delete()
    (fingerprints_only,) = reencryption.encryption_status().fallbacks
    assert (fingerprints_only.uses, fingerprints_only.retirable) == (2, False)
    reencryption.reencrypt(reencryption.encrypted_models())
    assert reencryption.encryption_status().fallbacks[0].retirable


def test_fallback_keys_lists_primary_then_deterministic_fallbacks(settings) -> None:
    Secret.objects.create(value="v")
    rotate_primary(settings)
    rotate_deterministic(settings)
    keyset = keyring.get_keyset()
    surveys = reencryption.survey(reencryption.encrypted_models())
    fallbacks = reencryption.fallback_keys(surveys, keyset)
    assert [(key.variable, key.key_id, key.uses) for key in fallbacks] == [
        (PRIMARY_FALLBACKS, keyset.randomized[1].key_id, 1),
        (DETERMINISTIC_FALLBACKS, keyset.deterministic[1].key_id, 0),
    ]


def test_plaintext_is_a_problem(settings) -> None:
    insert_raw("testapp_secret", "plain-legacy-value")
    insert_raw("testapp_secret", "another-legacy-value")
    assert reencryption.encryption_status().problems == 2


def test_a_broken_key_configuration_is_raised(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = ["not-a-key"]
    with pytest.raises(KeyConfigurationError, match=PRIMARY_FALLBACKS):
        reencryption.encryption_status()
