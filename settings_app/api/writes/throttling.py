"""Writes have their own rate limit, `KEYVAULT_API_WRITE_RATE` (default 60/m) per token."""

from __future__ import annotations

from django.conf import settings

from ..throttling import TokenRateThrottle, parse_rate

SETTING = "KEYVAULT_API_WRITE_RATE"
DEFAULT = "60/m"


def configured_write_rate() -> tuple[int, int]:
    """KEYVAULT_API_WRITE_RATE, read at call time."""
    return parse_rate(str(getattr(settings, SETTING, DEFAULT)), setting=SETTING)


class WriteRateThrottle(TokenRateThrottle):
    """Counts the token's writes (PUT, POST, DELETE) in the current window."""

    counter_prefix = "keyvault:api-write-rate"

    def rate(self) -> tuple[int, int]:
        return configured_write_rate()
