"""One-line masks of a stored value for reports and version lists: secrets masked, by the one
masking rule."""

from __future__ import annotations

from settings_app.providers import masking

from . import envelope
from .value import from_envelope


def credential_mask(value: object) -> str | None:
    """`api_key=…cdef resource_name=contoso` for an envelope; None for a single key."""
    if not envelope.is_envelope(value):
        return None
    masks = from_envelope(envelope.loads(value)).masks()
    return " ".join(f"{name}={shown}" for name, shown in sorted(masks.items()))


def value_mask(value: str, provider: str | None = None) -> str:
    """The mask of a stored value: its secrets' masks for a credential, else `masking.mask`."""
    if not envelope.is_envelope(value):
        return masking.mask(value, provider)
    credential = from_envelope(envelope.loads(value))
    masks = credential.masks()
    return " ".join(f"{name}={masks[name]}" for name in sorted(credential.secrets))
