"""The one cleaning rule for a stored value: an envelope for structured providers, else a key."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from settings_app import providers

from . import envelope
from .schema import ALWAYS_STRUCTURED


def clean_value(slug: str, value: str) -> str:
    """`value` as stored: a canonical envelope, or a trimmed single key (ValidationError)."""
    if envelope.is_envelope(value):
        return envelope.check_stored(slug, value)
    if slug in ALWAYS_STRUCTURED:
        raise ValidationError(
            "This provider's credentials have several fields: enter them one by one (or "
            "store them with set_credential), not as one string.",
            code="structured",
        )
    return providers.clean_value(slug, value)
