"""A token's last 30 days as a server-rendered SVG bar chart: no script, no CDN, CSP-clean."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, GAP = 600, 120, 2


def bar_chart(days: Sequence[tuple[date, int]], baseline: int | None, label: str) -> SafeString:
    """Bars for each day's tokens (today last), and a dashed line at twice the baseline."""
    top = max([total for _, total in days] + [2 * (baseline or 0), 1])
    step = WIDTH / max(len(days), 1)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}: {} tokens</title></rect>",
        (_bar(index, step, total, top, day, last=index == len(days) - 1)
         for index, (day, total) in enumerate(days)),
    )  # fmt: skip
    line = SafeString("")
    if baseline:
        y = HEIGHT - HEIGHT * 2 * baseline / top
        line = format_html(
            '<line x1="0" x2="{}" y1="{}" y2="{}" stroke="#ba2121" '
            'stroke-dasharray="4 3"><title>alert above {} tokens</title></line>',
            WIDTH,
            f"{y:.1f}",
            f"{y:.1f}",
            f"{2 * baseline:,}",
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}">{}{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        label,
        bars,
        line,
    )


def _bar(
    index: int, step: float, total: int, top: int, day: date, *, last: bool
) -> tuple[str, ...]:
    height = HEIGHT * total / top
    colour = "#417690" if not last else "#79aec8"
    numbers = (index * step, HEIGHT - height, step - GAP, height)
    return (*(f"{number:.1f}" for number in numbers), colour, day.isoformat(), f"{total:,}")
