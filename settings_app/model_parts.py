"""Field definitions shared by Setting and AuditEvent.

They live below both models so that neither models module imports the other: `models.py`
re-exports the audit models, and the audit package must not need `models.py` to define them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

# A setting's key; audit events keep it (as text) after the setting is deleted.
KEY_MAX_LENGTH = 128


def user_reference() -> Any:
    """Who did something; kept as NULL when that user is deleted (the audit trail keeps names)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
