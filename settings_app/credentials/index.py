"""Fingerprints of each secret field of a credential, so `find_secret` finds it by any one.

The setting's own blind index covers its whole value (the envelope); a leaked Azure key alone
would never match it. This column holds the blind-index fingerprint of every secret field,
under the same index as the whole value of its row, so one candidate list matches both. It is
refreshed on every save and by `reencrypt`; a search matches under every configured key, so it
stays searchable through a rotation, and `reencrypt` moves it to the current key before the old
deterministic key is retired (`encryption_status` counts its key ids too).
"""

from __future__ import annotations

from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.db import models

from settings_app.encryption import keyring
from settings_app.encryption.unreadable import UnreadableValue

from . import envelope

SEPARATOR = " "


def secret_fingerprints(value: Any, context: str) -> str | None:
    """The fingerprints of the envelope's secrets, space-separated; None for a single key."""
    if isinstance(value, UnreadableValue) or not envelope.is_envelope(value):
        return None
    index = keyring.get_blind_index(context)
    secrets = envelope.loads(value).secrets.values()
    return SEPARATOR.join(sorted(index.digest(secret) for secret in secrets))


def key_ids(fingerprints: str) -> list[str]:
    """The key id of each fingerprint in a stored column value ("<key id>:<digest> ...")."""
    return [fingerprint.split(":", 1)[0] for fingerprint in fingerprints.split()]


def holding_any(candidates: list[str]) -> models.Q:
    """Rows whose secret fingerprints include one of `candidates`."""
    return reduce(or_, (models.Q(secret_fingerprints__contains=c) for c in candidates))


class SecretFieldsIndexField(models.TextField):
    """Keeps `secret_fingerprints(value)` of the model's `value` field, refreshed on save."""

    source = "value"  # the encrypted field whose secrets it fingerprints

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    @cached_property
    def context(self) -> str:
        """The source field's context: its fingerprints share that field's blind index."""
        return f"{self.model._meta.label}.{self.source}"

    def fingerprints(self, plaintext: Any) -> str | None:
        """What this column should hold for a source value of `plaintext`."""
        return secret_fingerprints(plaintext, self.context)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        found = self.fingerprints(getattr(model_instance, self.source, None))
        setattr(model_instance, self.attname, found)
        return found
