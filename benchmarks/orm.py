"""Benchmarks 2 and 3: ORM reads and bulk writes, keyvault against a plain TextField and fernet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from settings_app.crypto import envelope

from .benchapp.models import FernetRow, KeyvaultRow, KeyvaultRowEnvelope, PlainRow
from .crypto_path import field_floor
from .report import Result, Status, verdict
from .sizes import Sizes
from .timing import Sample, alternate, progress, ratio
from .values import api_keys

CONTENDERS: dict[str, Any] = {
    "plain": PlainRow,
    "keyvault": KeyvaultRow,
    "fernet": FernetRow,
}


@dataclass(frozen=True)
class Targets:
    """Max slowdown against plain, min speed-up over fernet (None: reported only)."""

    vs_plain: float | None
    vs_fernet: float | None


READ_TARGETS = {"default": Targets(1.6, 2.2), "postgres": Targets(1.3, None)}
WRITE_TARGETS = {"default": Targets(1.25, 1.7), "postgres": Targets(None, None)}
DB_NAMES = {"default": "SQLite", "postgres": "PostgreSQL"}


def _seed(alias: str, values: list[str]) -> None:
    for model in CONTENDERS.values():
        model._default_manager.using(alias).all().delete()
        model._default_manager.using(alias).bulk_create(
            [model(value=v) for v in values], batch_size=2000
        )


def _read_instances(model: Any, alias: str) -> Callable[[], object]:
    return lambda: [obj.value for obj in model._default_manager.using(alias).all()]


def _read_values(model: Any, alias: str) -> Callable[[], object]:
    return lambda: list(model._default_manager.using(alias).values_list("value", flat=True))


def _floor_readers(alias: str) -> dict[str, Callable[[], object]]:
    """Plain reads of keyvault's envelopes, each opened with bare AESGCM: the attainable floor."""
    decrypt = field_floor()[0]
    skip = envelope.HEADER_LENGTH
    rows = KeyvaultRowEnvelope._default_manager.using(alias)
    return {
        "instances, .value touched": lambda: [
            decrypt(obj.value[skip:]).decode() for obj in rows.all()
        ],
        "values_list": lambda: [
            decrypt(text[skip:]).decode() for text in rows.values_list("value", flat=True)
        ],
    }


def _floor_row(name: str, samples: dict[str, Sample]) -> Result:
    kv, plain, floor = samples["keyvault"], samples["plain"], samples["floor"]
    return Result(
        f"{name}: attainable floor",
        f"{ratio(floor, plain):.2f}x plain",
        "(reported)",
        "INFO",
        f"plain column + bare AESGCM + .decode() per row {floor.spread(1e6, 'µs/row')}; "
        f"keyvault = {ratio(kv, floor):.2f}x this floor",
    )


def _rows(
    name: str, samples: dict[str, Sample], targets: Targets, unit_scale: float
) -> list[Result]:
    kv, plain, fernet = samples["keyvault"], samples["plain"], samples["fernet"]
    slowdown, speedup = ratio(kv, plain), ratio(fernet, kv)
    detail = (
        f"keyvault {kv.spread(unit_scale, 'µs/row')}; plain {plain.spread(unit_scale, 'µs/row')}; "
        f"fernet {fernet.spread(unit_scale, 'µs/row')}"
    )
    status: Status
    results = []
    if targets.vs_plain is None:
        status, target = "INFO", "(reported)"
    else:
        status, target = verdict(slowdown <= targets.vs_plain), f"<= {targets.vs_plain}x"
    results.append(Result(f"{name} vs plain", f"{slowdown:.2f}x plain", target, status, detail))
    if targets.vs_fernet is None:
        status, target = "INFO", "(reported)"
    else:
        status, target = verdict(speedup >= targets.vs_fernet), f">= {targets.vs_fernet}x faster"
    results.append(Result(f"{name} vs fernet", f"{speedup:.2f}x faster", target, status, detail))
    return results


def run_reads(sizes: Sizes, alias: str) -> list[Result]:
    db, n = DB_NAMES[alias], sizes.orm_rows
    progress(f"ORM read on {db}: seeding {n:,} rows per table")
    _seed(alias, api_keys(n))
    results, floors = [], _floor_readers(alias)
    for label, reader in (
        ("instances, .value touched", _read_instances),
        ("values_list", _read_values),
    ):
        progress(f"ORM read on {db}: {label}, {sizes.rounds} rounds")
        work = {name: reader(model, alias) for name, model in CONTENDERS.items()}
        work["floor"] = floors[label]
        samples = alternate(work, sizes.rounds, per=n)
        name = f"2 ORM read {n:,} rows, {label} ({db})"
        results += [*_rows(name, samples, READ_TARGETS[alias], 1e6), _floor_row(name, samples)]
    return results


def run_writes(sizes: Sizes, alias: str) -> list[Result]:
    db, n = DB_NAMES[alias], sizes.orm_rows
    values = api_keys(n, seed=11)
    pending: dict[str, list[models.Model]] = {}

    def reset(name: str, model: Any) -> Callable[[], None]:
        def empty_and_build() -> None:
            model._default_manager.using(alias).all().delete()
            pending[name] = [model(value=v) for v in values]

        return empty_and_build

    def write(name: str, model: Any) -> Callable[[], object]:
        return lambda: model._default_manager.using(alias).bulk_create(pending[name])

    progress(f"ORM write on {db}: bulk_create {n:,} rows, {sizes.rounds} rounds")
    samples = alternate(
        {name: write(name, model) for name, model in CONTENDERS.items()},
        sizes.rounds,
        per=n,
        before_each={name: reset(name, model) for name, model in CONTENDERS.items()},
    )
    return _rows(f"3 ORM bulk_create {n:,} rows ({db})", samples, WRITE_TARGETS[alias], 1e6)
