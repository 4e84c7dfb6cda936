"""Timing every contender in the same process, alternating, and summarising the rounds."""

from __future__ import annotations

import gc
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Seconds per unit of work (one call, one row...) over the rounds."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self, scale: float = 1.0, unit: str = "") -> str:
        """`median [min-max] unit`, each value multiplied by `scale`."""
        lo, mid, hi = (v * scale for v in (min(self.values), self.median, max(self.values)))
        return f"{fmt(mid)} [{fmt(lo)}-{fmt(hi)}] {unit}".rstrip()


def fmt(value: float) -> str:
    """Three significant figures, without scientific notation for the sizes we print."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2e}"


def time_once(work: Callable[[], object]) -> float:
    """Wall-clock seconds of one call, with the garbage collector held off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started
    finally:
        gc.enable()


def alternate(
    contenders: Mapping[str, Callable[[], object]],
    rounds: int,
    per: float = 1.0,
    before_each: Mapping[str, Callable[[], object]] | None = None,
) -> dict[str, Sample]:
    """Run each contender once per round, in turn; seconds per call divided by `per` units.

    `before_each[name]` (untimed) resets state a contender needs, e.g. an emptied table.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, work in contenders.items():
            if before_each and name in before_each:
                before_each[name]()
            times[name].append(time_once(work) / per)
    return {name: Sample(tuple(values)) for name, values in times.items()}


def ratio(contender: Sample, baseline: Sample) -> float:
    """How many times slower the contender is: the median of the per-round ratios.

    Rounds alternate, so the two runs of a round share the machine's load at that moment;
    pairing them keeps a busy neighbour from skewing the comparison.
    """
    return statistics.median(c / b for c, b in zip(contender.values, baseline.values, strict=True))


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def alternate_timeit(
    contenders: Mapping[str, Callable[[], object]], rounds: int, number: int
) -> dict[str, Sample]:
    """`timeit` each contender `number` times per round, alternating; seconds per call."""
    timers = {name: timeit.Timer(work) for name, work in contenders.items()}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, timer in timers.items():
            times[name].append(timer.timeit(number) / number)
    return {name: Sample(tuple(values)) for name, values in times.items()}
