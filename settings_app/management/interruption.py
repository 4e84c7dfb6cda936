"""Ctrl-C as a request to stop at the next safe point, for commands that work in batches.

A KeyboardInterrupt can land anywhere, even inside a COMMIT, so a command could not say what
it had committed. Here the first Ctrl-C only asks to stop; the command stops between batches,
where its count is exact. A second Ctrl-C interrupts at once, as usual.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interruption:
    """Whether Ctrl-C was pressed; `check()` raises KeyboardInterrupt where stopping is safe."""

    def __init__(self) -> None:
        self.requested = False

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt  # asked twice: stop now
        self.requested = True


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Interruption]:
    """Inside, the first SIGINT sets `requested` instead of raising; the handler is restored."""
    interruption = Interruption()
    if threading.current_thread() is not threading.main_thread():
        yield interruption  # only the main thread receives signals (or may set handlers)
        return
    previous = signal.signal(signal.SIGINT, interruption._handle)
    try:
        yield interruption
    finally:
        signal.signal(signal.SIGINT, previous)
