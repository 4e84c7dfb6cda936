"""What the admin's "Gateway usage" page shows for each token: 30 days, today, baseline, models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Sum
from django.utils.safestring import SafeString

from settings_app.api.models import ServiceToken

from .baseline import Baseline, baseline, daily_totals, factor
from .chart import bar_chart
from .models import GatewayUsage
from .report import today

DAYS = 30
TOP_MODELS = 5


@dataclass(frozen=True)
class TokenUsage:
    token: ServiceToken
    chart: SafeString
    today_tokens: int
    baseline: Baseline | None
    top_models: list[tuple[str, int]]

    @property
    def over_threshold(self) -> bool:
        return self.baseline is not None and self.today_tokens > factor() * self.baseline.tokens


def token_usage() -> list[TokenUsage]:
    """Every token with gateway usage in the last 30 days, by name."""
    first = today() - timedelta(days=DAYS - 1)
    ids = GatewayUsage.objects.filter(day__gte=first).values_list("token_id", flat=True)
    tokens = ServiceToken.objects.filter(pk__in=set(ids)).order_by("name")
    return [_usage_of(token, first) for token in tokens]


def _usage_of(token: ServiceToken, first: date) -> TokenUsage:
    current = today()
    totals = daily_totals(token.pk, first, current)
    days = [(first + timedelta(days=n), totals.get(first + timedelta(days=n), 0))
            for n in range(DAYS)]  # fmt: skip
    normal = baseline(token.pk, current)
    chart = bar_chart(days, normal.tokens if normal else None, f"{token.name}: last {DAYS} days")
    return TokenUsage(token, chart, totals.get(current, 0), normal, _top_models(token, first))


def _top_models(token: ServiceToken, first: date) -> list[tuple[str, int]]:
    rows = (
        GatewayUsage.objects.filter(token=token, day__gte=first)
        .values("model")
        .annotate(total=Sum(F("input_tokens") + F("output_tokens")))
        .order_by("-total", "model")[:TOP_MODELS]
    )
    return [(row["model"] or "(unnamed)", int(row["total"])) for row in rows]
