"""A one-line summary of a stored credential for reports: fields, secrets masked."""

from __future__ import annotations

from . import envelope
from .value import from_envelope


def credential_mask(value: object) -> str | None:
    """`api_key=…cdef resource_name=contoso` for an envelope; None for a single key."""
    if not envelope.is_envelope(value):
        return None
    masks = from_envelope(envelope.loads(value)).masks()
    return " ".join(f"{name}={shown}" for name, shown in sorted(masks.items()))
