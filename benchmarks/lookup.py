"""Benchmark 4: equality lookups on a deterministic encrypted column against a plain indexed one."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .benchapp.models import DeterministicRow, PlainIndexedRow
from .orm import DB_NAMES
from .report import Result, verdict
from .sizes import Sizes
from .timing import alternate, progress, ratio
from .values import api_keys

TARGET = 1.3


def _lookups(model: Any, alias: str, picks: list[str]) -> Callable[[], None]:
    manager = model._default_manager.using(alias)

    def look_up_all() -> None:
        for value in picks:
            found = list(manager.filter(value=value))
            assert len(found) == 1 and found[0].value == value

    return look_up_all


def run(sizes: Sizes, alias: str) -> list[Result]:
    db, n = DB_NAMES[alias], sizes.lookup_rows
    values = api_keys(n, seed=23)
    progress(f"lookup on {db}: seeding {n:,} rows per table")
    models: tuple[Any, ...] = (PlainIndexedRow, DeterministicRow)
    for model in models:
        model._base_manager.using(alias).all().delete()
        model._default_manager.using(alias).bulk_create(
            [model(value=v) for v in values], batch_size=2000
        )
    picks = random.Random(5).sample(values, sizes.lookups)
    progress(f"lookup on {db}: {sizes.lookups:,} lookups x {sizes.rounds} rounds")
    samples = alternate(
        {
            "plain": _lookups(PlainIndexedRow, alias, picks),
            "deterministic": _lookups(DeterministicRow, alias, picks),
        },
        sizes.rounds,
        per=sizes.lookups,
    )
    det, plain = samples["deterministic"], samples["plain"]
    measured = ratio(det, plain)
    return [
        Result(
            f"4 filter(value=...) over {n:,} indexed rows ({db})",
            f"{measured:.2f}x plain",
            f"<= {TARGET}x",
            verdict(measured <= TARGET),
            f"deterministic {det.spread(1e6, 'µs/lookup')}; plain {plain.spread(1e6, 'µs/lookup')}",
        )
    ]
