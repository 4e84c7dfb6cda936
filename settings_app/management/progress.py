"""Progress for long commands: a tqdm bar on a terminal, a plain line every 10% otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from tqdm import tqdm


class Progress:
    """A context manager giving `advance(rows)`; lines (logs, CI) go through `write`."""

    def __init__(self, total: int, write: Callable[[str], Any], *, interactive: bool) -> None:
        self.total, self.write, self.done, self.next_report = total, write, 0, total // 10
        self.bar = tqdm(total=total, unit="rows") if interactive else None

    def __enter__(self) -> Callable[[int], None]:
        return self.advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.bar is not None:
            self.bar.update(rows)
        elif self.done >= self.next_report and self.total:
            self.write(f"... {self.done}/{self.total} rows ({100 * self.done // self.total}%)")
            self.next_report = self.done + max(self.total // 10, 1)


def progress(total: int, write: Callable[[str], Any]) -> Progress:
    """A bar when standard output is a terminal, else a line every 10% through `write`."""
    return Progress(total, write, interactive=sys.stdout.isatty())
