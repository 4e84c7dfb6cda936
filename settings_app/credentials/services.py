"""Storing a structured credential: validated fields in, one new version of one setting out."""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables

from settings_app.models import Setting

from . import envelope


@sensitive_variables("fields")
def set_credential(
    key: str,
    provider: str,
    fields: dict[str, str],
    *,
    expected_version: int | None = None,
    actor: Any = None,
) -> Setting:
    """Create or replace setting `key` with a `provider` credential (ValidationError per field)."""
    stored = envelope.build(provider, fields).dumps()
    return Setting.objects.set_value(
        key, stored, expected_version=expected_version, actor=actor, provider=provider
    )
