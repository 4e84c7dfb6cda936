"""Usage as rows: what `manage.py usage`, `GET /api/v1/usage` and the admin page show."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import GatewayUsage

DEFAULT_DAYS = 30
COLUMNS = ("day", "token", "setting_key", "model", "requests", "input_tokens", "output_tokens",
           "unmetered")  # fmt: skip


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def usage_rows(days: int = DEFAULT_DAYS, token_name: str | None = None) -> QuerySet[GatewayUsage]:
    """Rows of the last `days` days (today included), newest first, optionally of one token."""
    rows = GatewayUsage.objects.filter(day__gt=today() - timedelta(days=days)).select_related(
        "token"
    )
    if token_name is not None:
        rows = rows.filter(token__name=token_name)
    return rows.order_by("-day", "token__name", "setting_key", "model")


def as_json(row: GatewayUsage) -> dict[str, Any]:
    """Exactly the keys `manage.py usage --json` and the API document."""
    return {
        "day": row.day.isoformat(),
        "token": row.token.name,
        "setting_key": row.setting_key,
        "model": row.model,
        "requests": row.requests,
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "unmetered": row.unmetered,
    }


def as_table(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned text lines, a header first."""
    cells = [list(COLUMNS)] + [[str(row[column]) for column in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in cells]  # fmt: skip
