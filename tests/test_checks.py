"""System checks report every key-set mistake with an id and a hint, before anything is served."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.db import models
from django.test.utils import isolate_apps
from pytest_django.fixtures import Settings

from settings_app.checks import check_encrypted_fields
from settings_app.encryption.fields import EncryptedManager, EncryptedTextField
from tests.crypto.bad_keys import BAD_CONFIGS, BadConfig

# Plain `manage.py check` reads the key-check record (keyvault.E010): it needs the database.
pytestmark = pytest.mark.django_db


def keyvault_messages() -> list[CheckMessage]:
    return [message for message in run_checks() if (message.id or "").startswith("keyvault.")]


def test_good_configuration_is_clean() -> None:
    assert keyvault_messages() == []


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_bad_key_configuration_is_an_error_with_its_id(
    settings: Settings, config: BadConfig
) -> None:
    for name, value in config.overrides.items():
        setattr(settings, name, value)
    (message,) = keyvault_messages()
    assert message.id == config.check_id
    assert message.is_serious()
    assert config.variable in message.msg and "init_encryption" in (message.hint or "")
    assert "init_encryption" not in message.msg  # the message says what is wrong, once
    shown = f"{message.msg} {message.hint}"
    assert [text for text in config.key_material() if text.rstrip("=") in shown] == []


def test_plaintext_support_is_a_warning(settings: Settings) -> None:
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = True
    (message,) = keyvault_messages()
    assert message.id == "keyvault.W001"
    assert not message.is_serious()
    assert "reencrypt" in (message.hint or "") and "reencrypt" not in message.msg


def test_unique_randomized_field_is_an_error() -> None:
    with isolate_apps("tests.testapp") as registry:

        class UniqueSecret(models.Model):
            value = EncryptedTextField(unique=True)
            token = EncryptedTextField(unique=True, deterministic=True)

            class Meta:
                app_label = "testapp"

        assert registry is not None
        (message,) = errors_of(check_encrypted_fields([registry.get_app_config("testapp")]))
    assert message.id == "keyvault.E004"
    assert message.obj is UniqueSecret._meta.get_field("value")
    assert "deterministic=True" in (message.hint or "")


def test_ordering_by_an_encrypted_field_is_an_error() -> None:
    with isolate_apps("tests.testapp") as registry:

        class OrderedSecret(models.Model):
            value = EncryptedTextField()
            name = models.CharField(max_length=10)

            class Meta:
                app_label = "testapp"
                ordering = ("name", "-value")

        assert registry is not None
        (message,) = errors_of(check_encrypted_fields([registry.get_app_config("testapp")]))
    assert message.id == "keyvault.E005"
    assert message.obj is OrderedSecret
    assert "'value'" in message.msg


def test_a_model_whose_manager_allows_ordering_by_ciphertext_is_warned() -> None:
    with isolate_apps("tests.testapp") as registry:

        class UnguardedSecret(models.Model):
            value = EncryptedTextField()

            class Meta:
                app_label = "testapp"

        class GuardedSecret(models.Model):
            value = EncryptedTextField()
            objects = EncryptedManager()

            class Meta:
                app_label = "testapp"

        assert registry is not None
        messages = check_encrypted_fields([registry.get_app_config("testapp")])
    assert [(m.id, m.obj) for m in messages] == [("keyvault.W002", UnguardedSecret)]
    assert "EncryptedManager()" in (messages[0].hint or "")


def errors_of(messages: list[Any]) -> list[Any]:
    """The errors among check messages (isolated test models also draw keyvault.W002)."""
    return [m for m in messages if m.is_serious()]
