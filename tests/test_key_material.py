"""Key material that is not random key material: a passphrase in base64 clothing, or SECRET_KEY.

Both pass the format rules (URL-safe base64, 32+ bytes, many distinct bytes), so they used to
be accepted. They are refused by `manage.py check` with an id and a hint, and at first use.
"""

from __future__ import annotations

import base64
import secrets

import pytest
from django.core.checks import CheckMessage, run_checks
from pytest_django.fixtures import Settings

from settings_app.crypto import KeyConfigurationError, KeyProblem, KeyRole, KeySet
from settings_app.encryption import keyring
from tests.support.keys import TEST_KEYS, test_key

# Plain `manage.py check` reads the key-check record (keyvault.E010): it needs the database.
pytestmark = pytest.mark.django_db

PASSPHRASE = "correct horse battery staple, our team's vault key 2024!"
PASSPHRASE_KEY = base64.urlsafe_b64encode(PASSPHRASE.encode()).decode()
# A SECRET_KEY as Django's docs suggest generating it: it is valid URL-safe base64 key material.
URLSAFE_SECRET_KEY = secrets.token_urlsafe(50)


def keyvault_messages() -> list[CheckMessage]:
    return [message for message in run_checks() if (message.id or "").startswith("keyvault.")]


def only_message() -> CheckMessage:
    (message,) = keyvault_messages()
    assert message.is_serious()
    return message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(PASSPHRASE_KEY, id="base64 passphrase"),
        pytest.param(PASSPHRASE_KEY.rstrip("="), id="unpadded"),
        pytest.param(
            base64.urlsafe_b64encode(b"0123456789abcdefghijklmnopqrstuvwxyz\t\n").decode(),
            id="tabs and newlines are text too",
        ),
    ],
)
@pytest.mark.parametrize("variable", ["KEYVAULT_PRIMARY_KEY", "KEYVAULT_DETERMINISTIC_KEY"])
def test_a_key_that_decodes_to_text_is_a_check_error(
    settings: Settings, variable: str, text: str
) -> None:
    setattr(settings, variable, text)
    message = only_message()
    assert message.id == "keyvault.E006"
    assert variable in message.msg and "printable text" in message.msg
    assert "init_encryption" in (message.hint or "")
    assert text.rstrip("=") not in f"{message.msg} {message.hint}"
    with pytest.raises(KeyConfigurationError, match=variable):
        keyring.get_keyset()


def test_the_core_refuses_text_with_its_own_code() -> None:
    with pytest.raises(KeyConfigurationError) as raised:
        KeySet(
            primary=PASSPHRASE_KEY, deterministic=TEST_KEYS["deterministic"], salt=TEST_KEYS["salt"]
        )
    assert (raised.value.role, raised.value.code) == (KeyRole.PRIMARY, KeyProblem.TEXT)
    assert PASSPHRASE not in str(raised.value) and PASSPHRASE_KEY not in str(raised.value)


def test_a_text_key_may_stay_as_a_fallback_while_it_is_rotated_out(settings: Settings) -> None:
    """Refusing it there would make its values unreadable before `reencrypt` can move them."""
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [PASSPHRASE_KEY]
    assert keyvault_messages() == []
    assert len(keyring.get_keyset().randomized) == 2


def test_random_keys_are_not_mistaken_for_text(settings: Settings) -> None:
    for label in range(200):
        settings.KEYVAULT_PRIMARY_KEY = test_key(f"random-{label}")
        keyring.get_keyset()


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda s: s, id="same text"),
        pytest.param(lambda s: s + "=" * (-len(s) % 4), id="padded"),
    ],
)
@pytest.mark.parametrize("variable", ["KEYVAULT_PRIMARY_KEY", "KEYVAULT_DETERMINISTIC_KEY"])
def test_a_key_equal_to_secret_key_is_a_check_error(
    settings: Settings, variable: str, spelling: object
) -> None:
    settings.SECRET_KEY = URLSAFE_SECRET_KEY
    setattr(settings, variable, spelling(URLSAFE_SECRET_KEY))  # type: ignore[operator]
    message = only_message()
    assert message.id == "keyvault.E007"
    assert variable in message.msg and "SECRET_KEY" in message.msg
    assert "init_encryption" in (message.hint or "")
    assert URLSAFE_SECRET_KEY[:20] not in f"{message.msg} {message.hint}"
    with pytest.raises(KeyConfigurationError, match="SECRET_KEY"):
        keyring.get_keyset()


def test_an_old_secret_key_counts_too(settings: Settings) -> None:
    settings.SECRET_KEY_FALLBACKS = [URLSAFE_SECRET_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = URLSAFE_SECRET_KEY
    assert only_message().id == "keyvault.E007"


def test_changing_secret_key_is_seen_without_a_restart(settings: Settings) -> None:
    """The key set is cached per process; a new SECRET_KEY must not slip past that cache."""
    settings.KEYVAULT_PRIMARY_KEY = URLSAFE_SECRET_KEY
    keyring.get_keyset()  # fine while SECRET_KEY differs
    settings.SECRET_KEY = URLSAFE_SECRET_KEY
    with pytest.raises(KeyConfigurationError, match="SECRET_KEY"):
        keyring.get_keyset()
