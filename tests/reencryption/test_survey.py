"""survey(): every stored value counted by state and the key id it names, each one verified."""

from __future__ import annotations

from collections import Counter

import pytest

from settings_app import reencryption
from settings_app.models import Setting
from settings_app.reencryption import Classification
from tests.support.keys import fake_key
from tests.support.raw_rows import (
    drop_fallbacks,
    insert_raw,
    key_id,
    raw_values,
    rotate_deterministic,
    set_raw,
    tampered,
)
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db


def survey(label: str) -> reencryption.FieldSurvey:
    (result,) = reencryption.survey(reencryption.encrypted_models([label]))
    return result


def test_every_state_is_counted_with_its_key_id(settings) -> None:
    Secret.objects.create(value="under-a-retired-key")
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-second")  # the first one is gone
    Secret.objects.create(value="under-a-fallback-key")
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-third")
    Secret.objects.create(value="current-one")
    damaged = Secret.objects.create(value="will-be-damaged")
    Secret.objects.create(value=None)
    insert_raw("testapp_secret", "plaintext-one")
    set_raw("testapp_secret", damaged.pk, tampered(raw_values("testapp_secret")[3]))
    retired, fallback, current = (key_id(v) for v in raw_values("testapp_secret")[:3])

    result = survey("testapp.Secret")
    assert result.states == Counter(
        {
            Classification("unknown-key", retired): 1,
            Classification("fallback", fallback): 1,
            Classification("current"): 1,
            Classification("damaged"): 1,
            Classification("null"): 1,
            Classification("plaintext"): 1,
        }
    )
    assert result.problems == 3  # plaintext, damaged and unknown-key; fallback is not a problem
    assert result.key_uses == Counter({retired: 1, fallback: 1})
    assert (result.label, result.deterministic) == ("testapp.Secret.value", False)
    assert result.current_key_id == current


def test_fingerprints_are_counted_by_key_id(settings) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    (before,) = raw_values("settings_app_setting", "value_fingerprint")
    rotate_deterministic(settings)
    Setting.objects.create(key="other_key", value="sk-proj-find-me-0002")
    old_index_key = before.split(":")[0]

    result = survey("settings_app.Setting")
    assert result.states == Counter({Classification("current"): 2})
    assert sorted(result.index_key_ids.values()) == [1, 1]
    assert result.index_key_ids[old_index_key] == 1
    assert result.key_uses[old_index_key] == 1 and result.problems == 0


def test_a_classification_reads_as_state_and_key_id() -> None:
    assert str(Classification("fallback", "ab12cd34")) == "fallback:ab12cd34"
    assert str(Classification("plaintext")) == "plaintext"
    assert sorted([Classification("plaintext"), Classification("fallback", "ab12cd34")]) == [
        Classification("fallback", "ab12cd34"),
        Classification("plaintext"),
    ]


def test_an_empty_table_has_an_empty_survey(settings) -> None:
    drop_fallbacks(settings)
    result = survey("testapp.Secret")
    assert (result.states, result.problems, result.key_uses) == (Counter(), 0, Counter())
