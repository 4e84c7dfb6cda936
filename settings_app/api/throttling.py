"""Per-token rate limit: `KEYVAULT_API_RATE` requests (default 600/m) per token per window.

Fixed windows aligned to the clock; the counters are shared by every worker (counters.py).
Over the limit, the answer is 429 with `Retry-After`: the seconds until the window ends.
Reads are counted with their audit, in one transaction (`accounting.py`); writes by the DRF
throttle below, before any work.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from . import counters
from .models import ServiceToken

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*", re.IGNORECASE)


def parse_rate(text: str, setting: str = "KEYVAULT_API_RATE") -> tuple[int, int]:
    """`600/m` as (600 requests, 60 seconds); s, m, h and d (or second, minute...) are units."""
    match = _RATE.fullmatch(text)
    if not match or int(match[1]) == 0:
        raise ImproperlyConfigured(
            f"{setting}={text!r} is not a rate: write requests per period, such as "
            "600/m, 20/s, 10000/h or 100000/d."
        )
    return int(match[1]), PERIODS[match[2][0].lower()]


def configured_rate() -> tuple[int, int]:
    """KEYVAULT_API_RATE, read at call time."""
    return parse_rate(str(getattr(settings, "KEYVAULT_API_RATE", "600/m")))


READ_COUNTER = "keyvault:api-rate"


def count_request(token: ServiceToken, counter_prefix: str, rate: tuple[int, int]) -> float | None:
    """Count one request of `token`: None within the limit, else the seconds until the window
    ends. Refused requests count too, so hammering does not shorten the wait."""
    limit, period = rate
    key, wait = counter_key(token, counter_prefix, period, time.time())
    return None if counters.increment(key, period) <= limit else wait


def counter_key(
    token: ServiceToken, counter_prefix: str, period: int, now: float
) -> tuple[str, float]:
    """The counter of `token`'s window at `now`, and the seconds until that window ends."""
    window = int(now // period)
    return f"{counter_prefix}:{token.pk}:{period}:{window}", (window + 1) * period - now


class TokenRateThrottle(BaseThrottle):
    """Counts the requests of the authenticated token in the current window."""

    counter_prefix = READ_COUNTER

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ServiceToken):
            return True  # nothing to count: authentication and permissions already refused it
        self.retry_after = count_request(token, self.counter_prefix, self.rate())
        return self.retry_after is None

    def rate(self) -> tuple[int, int]:
        return configured_rate()

    def wait(self) -> float | None:
        return self.retry_after
