"""The app turns the core's reasons and roles into setting names and advice, once per message."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from settings_app.crypto import DecryptionError, DecryptionReason, KeyConfigurationError
from settings_app.encryption import keyring
from settings_app.encryption.key_advice import explain
from tests.crypto.bad_keys import BAD_CONFIGS, BadConfig
from tests.crypto.keysets import CIPHER_FACTORIES, CONTEXT
from tests.crypto.refusals import BAD_INPUTS

# What an operator must be told to do, by reason: the words that make the advice actionable.
ADVICE_NAMES = {
    DecryptionReason.NOT_ENCRYPTED: ["KEYVAULT_SUPPORT_UNENCRYPTED_DATA=true", "reencrypt"],
    DecryptionReason.DAMAGED_HEADER: ["backup"],
    DecryptionReason.UNSUPPORTED_VERSION: ["upgrade"],
    DecryptionReason.WRONG_MODE: ["deterministic option"],
    DecryptionReason.UNKNOWN_KEY: [
        "removed too early",
        "KEYVAULT_PRIMARY_KEY_FALLBACKS",
        "manage.py reencrypt",
        "encryption_status",
    ],
    DecryptionReason.FAILED_AUTHENTICATION: ["backup"],
}


def refused(mode: str, name: str) -> DecryptionError:
    """The error the app's own cipher for CONTEXT raises for one of the bad inputs."""
    cipher = keyring.get_cipher(CONTEXT, deterministic=mode == "deterministic")
    with pytest.raises(DecryptionError) as raised:
        cipher.decrypt(BAD_INPUTS[name].make(mode, CIPHER_FACTORIES[mode]()))
    return raised.value


@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_each_reason_gets_its_advice_once(mode: str, name: str) -> None:
    error = refused(mode, name)
    message = str(error)
    assert error.reason is BAD_INPUTS[name].reason
    assert [words for words in ADVICE_NAMES[error.reason] if words not in message] == []
    assert message == explain(error) == f"{error.problem} {error.advice}"
    assert message.count(error.advice) == 1 and error.advice not in error.problem


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_explain_advises_on_an_error_from_a_bare_core_cipher(name: str) -> None:
    core = CIPHER_FACTORIES["randomized"]()
    with pytest.raises(DecryptionError) as raised:
        core.decrypt(BAD_INPUTS[name].make("randomized", core))
    assert explain(raised.value) == str(refused("randomized", name))


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_key_errors_name_the_setting_and_advise_once(settings: Settings, config: BadConfig) -> None:
    for name, value in config.overrides.items():
        setattr(settings, name, value)
    with pytest.raises(KeyConfigurationError) as raised:
        keyring.get_keyset()
    error = raised.value
    assert config.variable in error.problem and "init_encryption" not in error.problem
    assert str(error) == explain(error) and str(error).count("init_encryption") == 1
