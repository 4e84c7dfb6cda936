"""Progress for long commands: a plain line every 10% when the output is not a terminal."""

from __future__ import annotations

from settings_app.management.progress import Progress


def test_plain_lines_every_tenth() -> None:
    lines: list[str] = []
    with Progress(100, lines.append, interactive=False) as advance:
        for _ in range(25):
            advance(4)
    assert lines[:2] == ["... 12/100 rows (12%)", "... 24/100 rows (24%)"]
    assert len(lines) == 8  # a line per tenth of the rows, not one per batch


def test_nothing_to_do_prints_nothing() -> None:
    lines: list[str] = []
    with Progress(0, lines.append, interactive=False) as advance:
        advance(0)
    assert lines == []
