"""The process-wide key set and field ciphers, built from Django settings on first use.

Deriving keys is cheap but not free, so it happens once per process; a `setting_changed`
signal (e.g. `override_settings` in tests) drops the cache, as Django does for its hashers.
Errors from what is built here name the `KEYVAULT_*` settings and say what to do (key_advice).
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from ..crypto import (
    DeterministicCipher,
    FieldCipher,
    KeyConfigurationError,
    KeySet,
    RandomizedCipher,
)
from ..crypto.blind_index import BlindIndex
from . import key_advice

_DJANGO_SECRET_SETTINGS = frozenset({"SECRET_KEY", "SECRET_KEY_FALLBACKS"})
_ciphers: dict[tuple[str, bool], FieldCipher] = {}
_blind_indexes: dict[str, BlindIndex] = {}


def build_keyset() -> KeySet:
    """A key set from the current settings; KeyConfigurationError names the setting and fix."""
    try:
        return KeySet(
            primary=settings.KEYVAULT_PRIMARY_KEY,
            primary_fallbacks=settings.KEYVAULT_PRIMARY_KEY_FALLBACKS,
            deterministic=settings.KEYVAULT_DETERMINISTIC_KEY,
            deterministic_fallbacks=settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS,
            salt=settings.KEYVAULT_KEY_DERIVATION_SALT,
            names=key_advice.VARIABLES,
            outside_secrets=_django_secrets(),
        )
    except KeyConfigurationError as error:
        raise key_advice.with_advice(error) from None


def _django_secrets() -> dict[str, str]:
    """SECRET_KEY and its fallbacks: signing keys that no encryption key may double as."""
    secrets = {"SECRET_KEY": str(settings.SECRET_KEY)}
    for number, old in enumerate(getattr(settings, "SECRET_KEY_FALLBACKS", [])):
        secrets[f"SECRET_KEY_FALLBACKS[{number}]"] = str(old)
    return secrets


get_keyset = functools.cache(build_keyset)


def get_cipher(context: str, *, deterministic: bool = False) -> FieldCipher:
    """The cipher for the field stored at `context` (`app_label.Model.field`)."""
    cipher = _ciphers.get((context, deterministic))
    if cipher is None:
        keyset = get_keyset()
        allow_plaintext = bool(settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA)
        advice = key_advice.DECRYPTION_ADVICE
        if deterministic:
            cipher = DeterministicCipher(
                keyset.deterministic, context, allow_plaintext=allow_plaintext, advice=advice
            )
        else:
            cipher = RandomizedCipher(
                keyset.randomized, context, allow_plaintext=allow_plaintext, advice=advice
            )
        _ciphers[(context, deterministic)] = cipher
    return cipher


def get_blind_index(context: str) -> BlindIndex:
    """The blind index for the values stored at `context`."""
    index = _blind_indexes.get(context)
    if index is None:
        index = _blind_indexes[context] = BlindIndex(get_keyset().blind_index, context)
    return index


def reset() -> None:
    """Forget the derived keys and ciphers; the next use rebuilds them from settings."""
    get_keyset.cache_clear()
    _ciphers.clear()
    _blind_indexes.clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("KEYVAULT_") or setting in _DJANGO_SECRET_SETTINGS:
        reset()
