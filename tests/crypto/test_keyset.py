"""Key material is validated once, derived per purpose, and never shown."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from settings_app.crypto import KeyConfigurationError, KeyRole, KeySet
from settings_app.crypto.blind_index import BlindIndex
from settings_app.crypto.keyset import (
    INFO_BLIND_INDEX,
    INFO_DETERMINISTIC,
    INFO_RANDOMIZED,
    ROLE_NAMES,
    DerivedKey,
    derive,
)
from settings_app.encryption import keyring
from settings_app.encryption.key_advice import VARIABLES
from tests.crypto.bad_keys import (
    BAD_CONFIGS,
    DETERMINISTIC,
    DETERMINISTIC_FALLBACKS,
    PRIMARY,
    PRIMARY_FALLBACKS,
    SALT,
    BadConfig,
)
from tests.crypto.keysets import CONTEXT, deterministic, make_keyset, randomized
from tests.support.keys import TEST_KEYS, test_key


def spellings(secret: bytes) -> list[str]:
    """Ways a derived key could leak into text."""
    return [secret.hex(), repr(secret), base64.b64encode(secret).decode()[:16], str(list(secret))]


def apply(settings: Settings, config: BadConfig) -> None:
    for name, value in config.overrides.items():
        setattr(settings, name, value)


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_bad_key_configuration_is_refused_at_first_use(
    settings: Settings, config: BadConfig
) -> None:
    apply(settings, config)
    with pytest.raises(KeyConfigurationError) as raised:
        keyring.get_keyset()
    message = str(raised.value)
    assert VARIABLES[raised.value.role] == config.variable
    assert config.variable in message
    assert "init_encryption" in message
    assert not [text for text in config.key_material() if text.rstrip("=") in message]


# How the settings in BAD_CONFIGS reach the core, which knows roles, not settings.
ARGUMENTS = {
    PRIMARY: ("primary", KeyRole.PRIMARY),
    PRIMARY_FALLBACKS: ("primary_fallbacks", KeyRole.PRIMARY_FALLBACKS),
    DETERMINISTIC: ("deterministic", KeyRole.DETERMINISTIC),
    DETERMINISTIC_FALLBACKS: ("deterministic_fallbacks", KeyRole.DETERMINISTIC_FALLBACKS),
    SALT: ("salt", KeyRole.SALT),
}
CODES = {"keyvault.E001": "missing", "keyvault.E002": "invalid", "keyvault.E003": "reused"}


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_the_core_names_the_role_and_gives_no_app_advice(config: BadConfig) -> None:
    arguments: dict[str, Any] = {n: TEST_KEYS[n] for n in ("primary", "deterministic", "salt")}
    arguments |= {ARGUMENTS[name][0]: value for name, value in config.overrides.items()}
    with pytest.raises(KeyConfigurationError) as raised:
        KeySet(**arguments)
    error, role = raised.value, ARGUMENTS[config.variable][1]
    assert (error.role, error.code) == (role, CODES[config.check_id])
    assert ROLE_NAMES[role] in str(error) and error.advice == ""
    assert "KEYVAULT_" not in str(error) and "manage.py" not in str(error)
    assert not [text for text in config.key_material() if text.rstrip("=") in str(error)]


def test_reprs_show_key_ids_and_never_key_material() -> None:
    keyset = make_keyset(primary_fallbacks=[TEST_KEYS["primary_old"]])
    shown = " ".join(
        [repr(keyset), randomized(keyset).__repr__(), repr(deterministic(keyset))]
        + [repr(BlindIndex(keyset.blind_index, CONTEXT))]
        + [repr(key) for key in (*keyset.randomized, *keyset.deterministic)]
    )
    assert keyset.randomized[1].key_id in shown
    leaks = [text for text in TEST_KEYS.values() if text in shown]
    for key in (*keyset.randomized, *keyset.deterministic, *keyset.blind_index):
        leaks += [spelling for spelling in spellings(key.secret) if spelling in shown]
    assert leaks == []


def test_derived_key_repr_is_its_id() -> None:
    assert repr(DerivedKey("0badc0de", b"\x01" * 32)) == "DerivedKey(key_id='0badc0de')"


def test_every_purpose_gets_its_own_key() -> None:
    keyset = make_keyset()
    secrets = [keyset.randomized[0].secret, keyset.deterministic[0].secret]
    secrets += [keyset.blind_index[0].secret]
    assert len({*secrets, *(s[:32] for s in secrets), *(s[32:] for s in secrets if s[32:])}) == 5
    assert keyset.randomized[0].key_id != keyset.deterministic[0].key_id


def test_one_master_key_derives_different_keys_per_purpose() -> None:
    master, salt = b"m" * 16 + bytes(range(16)), bytes(range(32))
    derived = {derive(master, salt, info, 32) for info in (INFO_RANDOMIZED, INFO_DETERMINISTIC)}
    assert len(derived | {derive(master, salt, INFO_BLIND_INDEX, 32)}) == 3


def test_key_ids_are_stable_for_the_same_input() -> None:
    first, second = make_keyset(), make_keyset()
    assert [k.key_id for k in first.randomized] == [k.key_id for k in second.randomized]
    assert first.deterministic[0].key_id == second.deterministic[0].key_id


def test_changing_the_salt_changes_every_key_id() -> None:
    before, after = make_keyset(), make_keyset(salt=test_key("another salt"))
    assert before.randomized[0].key_id != after.randomized[0].key_id
    assert before.deterministic[0].key_id != after.deterministic[0].key_id


def test_current_key_comes_first_and_fallbacks_keep_their_order() -> None:
    olds = [test_key("old-1"), test_key("old-2")]
    keyset = make_keyset(primary_fallbacks=olds)
    alone = [make_keyset(primary=key).randomized[0].key_id for key in [TEST_KEYS["primary"], *olds]]
    assert [key.key_id for key in keyset.randomized] == alone


@pytest.mark.parametrize(
    ("setting", "purpose"),
    [
        ("KEYVAULT_PRIMARY_KEY", "randomized"),
        ("KEYVAULT_DETERMINISTIC_KEY", "deterministic"),
        ("KEYVAULT_DETERMINISTIC_KEY", "blind_index"),
        ("KEYVAULT_KEY_DERIVATION_SALT", "randomized"),
    ],
)
def test_settings_change_takes_effect(settings: Settings, setting: str, purpose: str) -> None:
    before = getattr(keyring.get_keyset(), purpose)[0].key_id
    setattr(settings, setting, test_key("changed"))
    assert getattr(keyring.get_keyset(), purpose)[0].key_id != before


def test_new_primary_key_is_used_for_the_next_encryption(settings: Settings) -> None:
    old_id = keyring.get_cipher(CONTEXT).current_key_id
    settings.KEYVAULT_PRIMARY_KEY = test_key("next")
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [TEST_KEYS["primary"]]
    cipher = keyring.get_cipher(CONTEXT)
    assert cipher.key_ids[1] == old_id
    assert cipher.key_id_of(cipher.encrypt("x")) == cipher.current_key_id != old_id
