"""The daily token limit: once today's tokens reach it, requests answer 429 until 00:00 UTC.

Today's recorded total is read at most once a second per token and process, plus this
process's counts not yet written, so the overshoot is bounded by requests in flight or not yet
recorded in other workers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from time import monotonic

from django.db.models import Sum
from django.utils import timezone

from settings_app.api.models import ServiceToken

from .lookups import run_sync
from .models import GatewayUsage
from .recording import recorder

TOTAL_CACHE_SECONDS = 1.0
_totals: dict[tuple[int, date], tuple[int, float]] = {}


async def retry_after(token: ServiceToken) -> int | None:
    """Seconds until the limit resets when `token` has reached it today, else None."""
    limit = token.daily_token_limit
    if limit is None:
        return None
    now = timezone.now().astimezone(UTC)
    used = await _recorded(token.pk, now.date()) + recorder.pending_tokens(token.pk, now.date())
    if used < limit:
        return None
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return max(1, int((midnight - now).total_seconds()) + 1)


async def _recorded(token_id: int, day: date) -> int:
    cached = _totals.get((token_id, day))
    if cached is not None and cached[1] > monotonic():
        return cached[0]
    total = await run_sync(recorded_tokens, token_id, day)
    _totals[(token_id, day)] = (total, monotonic() + TOTAL_CACHE_SECONDS)
    return total


def recorded_tokens(token_id: int, day: date) -> int:
    """Input plus output tokens written for `token_id` on `day`."""
    sums = GatewayUsage.objects.filter(token_id=token_id, day=day).aggregate(
        i=Sum("input_tokens"), o=Sum("output_tokens")
    )
    return int(sums["i"] or 0) + int(sums["o"] or 0)


def reset() -> None:
    """Forget the cached totals (tests; after this process wrote usage, which they lack)."""
    _totals.clear()


recorder.written.append(reset)
