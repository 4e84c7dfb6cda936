"""encrypted_models: every model with an encrypted field, its columns and blind index columns."""

from __future__ import annotations

import pytest

from settings_app import reencryption
from settings_app.crypto import KeyConfigurationError
from settings_app.models import Setting
from tests.testapp.models import OtherSecret, Secret, Token


def test_finds_every_model_with_an_encrypted_field() -> None:
    labels = {spec.label for spec in reencryption.encrypted_models()}
    assert {"settings_app.Setting", "testapp.Secret", "testapp.OtherSecret", "testapp.Token"} <= (
        labels
    )
    assert "testapp.PlainSecret" not in labels


def test_named_models_come_with_their_columns_in_row_order() -> None:
    setting, other = reencryption.encrypted_models(["settings_app.Setting", "testapp.OtherSecret"])
    assert (setting.model, other.model) == (Setting, OtherSecret)
    assert setting.columns == ["value", "value_fingerprint", "secret_fingerprints"]
    (value,) = setting.fields
    assert (value.index_column, value.index is not None) == ("value_fingerprint", True)
    assert value.fields_index_column == "secret_fingerprints"
    assert other.columns == ["value", "other"]
    assert all(f.index is None for f in other.fields)


def test_deterministic_fields_get_a_deterministic_cipher() -> None:
    (token,) = reencryption.encrypted_models(["testapp.Token"])
    (secret,) = reencryption.encrypted_models(["testapp.Secret"])
    assert token.model is Token and token.fields[0].field.deterministic
    assert secret.model is Secret and not secret.fields[0].field.deterministic
    assert token.fields[0].cipher.mode != secret.fields[0].cipher.mode


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        (["nope.Missing"], LookupError, "nope"),
        (["testapp.Secret", "testapp.PlainSecret"], ValueError, "testapp.PlainSecret has no"),
    ],
)
def test_bad_labels_are_refused_naming_the_model(
    labels: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        reencryption.encrypted_models(labels)


def test_a_broken_key_configuration_is_an_encryption_error(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY = "too-short"
    with pytest.raises(KeyConfigurationError):
        reencryption.encrypted_models()


@pytest.mark.django_db
def test_count_rows_counts_every_named_model() -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    Token.objects.create(token="t")
    specs = reencryption.encrypted_models(["testapp.Secret", "testapp.Token"])
    assert reencryption.count_rows(specs) == 4
