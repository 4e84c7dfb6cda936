"""Facts every layer shares (key rules, verification statuses, the user reference), kept
below the whole app so that any module may import them without an import cycle."""

from __future__ import annotations

import re
import string
from typing import Any

from django.conf import settings
from django.db import models

# A setting's key; audit events keep it (as text) after the setting is deleted.
KEY_MAX_LENGTH = 128
# What a key may hold: safe in URLs, shells and environment variable names.
KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")
KEY_PATTERN = re.compile(rf"[A-Za-z0-9_.\-]{{1,{KEY_MAX_LENGTH}}}")


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    VALID = "valid", "Valid"
    RESTRICTED = "restricted", "Valid (restricted)"
    INVALID = "invalid", "Invalid"
    NO_QUOTA = "no_quota", "No quota"
    UNREACHABLE = "unreachable", "Unreachable"


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
