"""A token's normal day: the median of its daily token totals over the last 14 days with usage.

Promptster's advice ("flag anything above 2x your normal daily usage"), made exact: the
baseline needs at least MIN_DAYS such days, and one under KEYVAULT_USAGE_ALERT_FLOOR is
ignored, so a new or nearly idle token never alerts.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import F, Sum

from .models import GatewayUsage

WINDOW_DAYS = 14
MIN_DAYS = 7
DEFAULT_FLOOR = 10_000
DEFAULT_FACTOR = 2.0


@dataclass(frozen=True)
class Baseline:
    tokens: int
    days: tuple[date, ...]  # the days the median came from


def daily_totals(token_id: int, first: date, last: date) -> dict[date, int]:
    """Input plus output tokens per day from `first` to `last` (inclusive), days with usage."""
    rows = (
        GatewayUsage.objects.filter(token_id=token_id, day__gte=first, day__lte=last)
        .values("day")
        .annotate(total=Sum(F("input_tokens") + F("output_tokens")))
    )
    return {row["day"]: int(row["total"]) for row in rows if row["total"]}


def baseline(token_id: int, today: date) -> Baseline | None:
    """The token's baseline before `today`, or None when there is not enough history."""
    totals = daily_totals(token_id, today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1))
    if len(totals) < MIN_DAYS:
        return None
    median = int(statistics.median(totals.values()))
    if median < floor():
        return None
    return Baseline(median, tuple(sorted(totals)))


def floor() -> int:
    return int(getattr(settings, "KEYVAULT_USAGE_ALERT_FLOOR", DEFAULT_FLOOR))


def factor() -> float:
    return float(getattr(settings, "KEYVAULT_USAGE_ALERT_FACTOR", DEFAULT_FACTOR))
