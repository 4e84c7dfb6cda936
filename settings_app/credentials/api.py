"""The read API's view of a structured credential: its fields, SDK variables and files."""

from __future__ import annotations

from typing import Any

from . import envelope
from .value import from_envelope


def credential_json(value: Any) -> dict[str, Any] | None:
    """`value: null`, `fields`, `env`, `files` and `secret_fields` for an envelope; None for a
    single key."""
    if not envelope.is_envelope(value):
        return None
    credential = from_envelope(envelope.loads(value))
    return {
        "value": None,
        "fields": credential.fields,
        "env": credential.env(),
        "files": credential.files(),
        "secret_fields": sorted(credential.secrets),
    }
