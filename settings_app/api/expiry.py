"""How long a token lives: `30d`-style durations, the default, and the configured maximum."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_LIFETIME = timedelta(days=90)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_DURATION = re.compile(r"(\d{1,6})([hdw])")


def max_days() -> int:
    """KEYVAULT_TOKEN_MAX_DAYS, read at call time."""
    return int(getattr(settings, "KEYVAULT_TOKEN_MAX_DAYS", 365))


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h` or `4w` as a timedelta; anything else is refused with the accepted forms."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise ValidationError(
            f"{text!r} is not a duration: use a positive number of days, hours or weeks, such "
            "as 30d, 12h or 4w.",
            code="duration",
        )
    return int(match[1]) * _UNITS[match[2]]


def validate_expiry(expires_at: datetime, now: datetime) -> None:
    """An expiry lies in the future and at most KEYVAULT_TOKEN_MAX_DAYS away."""
    if expires_at <= now:
        raise ValidationError("A token's expiry must be in the future.", code="expiry_past")
    limit = max_days()
    if expires_at - now > timedelta(days=limit):
        raise ValidationError(
            f"A token can live at most {limit} days (KEYVAULT_TOKEN_MAX_DAYS); choose "
            f"{limit}d or less, or raise KEYVAULT_TOKEN_MAX_DAYS.",
            code="expiry_too_far",
        )
