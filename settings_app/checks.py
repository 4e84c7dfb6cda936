"""System checks: a misconfigured key set is reported by `manage.py check`, before serving.

Each message says what is wrong and its hint what to do; neither repeats the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .crypto import KeyConfigurationError, KeyProblem
from .encryption import key_advice, keyring

_IDS = {
    KeyProblem.MISSING: "keyvault.E001",
    KeyProblem.INVALID: "keyvault.E002",
    KeyProblem.REUSED: "keyvault.E003",
    KeyProblem.TEXT: "keyvault.E006",
    KeyProblem.SHARED: "keyvault.E007",
}


@register(Tags.security)
def check_key_set(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    try:
        keyring.build_keyset()
    except KeyConfigurationError as error:
        return [Error(error.problem, hint=key_advice.advice_for(error), id=_IDS[error.code])]
    if settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA:
        return [
            Warning(
                f"{key_advice.SUPPORT_UNENCRYPTED_DATA} is on: values that are not encrypted are "
                "read as plaintext.",
                hint="Run `python manage.py reencrypt`, check `python manage.py "
                f"encryption_status`, then set {key_advice.SUPPORT_UNENCRYPTED_DATA}=false.",
                id="keyvault.W001",
            )
        ]
    return []


@register(Tags.models)
def check_encrypted_fields(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    from .encryption.fields import EncryptedQuerySet, EncryptedTextField

    errors: list[CheckMessage] = []
    configs = apps.get_app_configs() if app_configs is None else app_configs
    for model in (model for config in configs for model in config.get_models()):
        for field in model._meta.get_fields():
            if isinstance(field, EncryptedTextField) and field.unique and not field.deterministic:
                errors.append(
                    Error(
                        f"{field.context} is unique but randomized: equal values never compare "
                        "equal as ciphertext, so uniqueness cannot be enforced.",
                        hint="Pass deterministic=True to the field, or drop unique=True.",
                        obj=field,
                        id="keyvault.E004",
                    )
                )
        encrypted = {f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)}
        errors += _check_ordering(model, encrypted)
        queryset = type(model._default_manager.get_queryset())
        if encrypted and not issubclass(queryset, EncryptedQuerySet):
            errors.append(
                Warning(
                    f"{model._meta.label} has encrypted fields but its default manager does not "
                    "refuse order_by() on them, which would sort ciphertext.",
                    hint="Give it `objects = EncryptedManager()` (settings_app.fields), or a "
                    "manager built on EncryptedQuerySet.",
                    obj=model,
                    id="keyvault.W002",
                )
            )
    return errors


def _check_ordering(model: Any, names: set[str]) -> list[CheckMessage]:
    """Meta.ordering on an encrypted field would sort by ciphertext: meaningless."""
    wrong = [o for o in model._meta.ordering if isinstance(o, str) and o.lstrip("-") in names]
    return [
        Error(
            f"{model._meta.label}.Meta.ordering uses the encrypted field {name.lstrip('-')!r}; "
            "the database can only sort its ciphertext, which gives a meaningless order.",
            hint="Order by another field, or sort in Python after reading the values.",
            obj=model,
            id="keyvault.E005",
        )
        for name in wrong
    ]
