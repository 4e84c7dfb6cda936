"""`reencrypt()`: bring every encrypted value to the current key, batch by batch.

Rows are read in primary-key order by keyset pagination (memory stays flat) and written by
compare-and-swap, each batch in its own transaction: an edit made while it runs is never
overwritten, and a run killed at any moment can simply be run again. A finished run also
moves the key-check record to the current keys (`key_check.service.refresh_key_check`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import metrics
from ..key_check.service import refresh_key_check
from ..models import AuditAction
from .discovery import ModelSpec
from .planning import BatchPlan, Failure, plan_batch
from .raw import compare_and_swap, iterate_raw

MAX_REPORTED_FAILURES = 100


@dataclass(frozen=True)
class AuditEntry:
    """An audit event a run calls for; the caller records it as its own actor."""

    action: AuditAction
    details: dict[str, Any]


@dataclass
class ReencryptReport:
    """What a run did, and what to tell the operator and the audit trail about it."""

    models: tuple[str, ...] = ()
    scanned: int = 0
    updated: int = 0
    current: int = 0
    conflicts: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)  # the first MAX_REPORTED_FAILURES
    seconds: float = 0.0
    interrupted: bool = False  # stopped by KeyboardInterrupt; every batch counted is committed
    key_check_written: bool = False  # the key-check record was (re)written under current keys

    @property
    def rows_per_second(self) -> float:
        return self.scanned / self.seconds if self.seconds else 0.0

    @property
    def summary(self) -> str:
        return (
            f"Scanned {self.scanned} rows: {self.updated} re-encrypted, {self.current} "
            f"already current, {self.conflicts} changed concurrently (left as written), "
            f"{self.failed} failed, in {self.seconds:.1f}s ({self.rows_per_second:,.0f} rows/s)."
        )

    @property
    def interruption(self) -> str:
        """The one line to end an interrupted run with."""
        return (
            f"Interrupted: {self.updated} rows re-encrypted and committed; run `manage.py "
            "reencrypt` again to resume."
        )

    @property
    def error(self) -> str | None:
        """Why the run must exit non-zero, or None when every row was readable."""
        if not self.failed:
            return None
        return f"{self.failed} rows could not be decrypted and were left untouched (see above)."

    def audit_entries(self) -> Iterator[AuditEntry]:
        """The run itself, then each reported failure (by pk and field, never by value)."""
        details: dict[str, Any] = {
            "models": list(self.models),
            "scanned": self.scanned,
            "updated": self.updated,
            "failed": self.failed,
        }
        if self.interrupted:
            details["interrupted"] = True
        yield AuditEntry(AuditAction.REENCRYPTED, details)
        for failure in self.failures:
            yield AuditEntry(
                AuditAction.DECRYPTION_FAILED,
                {"model": failure.model, "pk": str(failure.pk), "field": failure.field},
            )

    def add(self, plan: BatchPlan, rows: int, written: int) -> None:
        self.scanned += rows
        self.current += plan.current
        self.updated += written
        self.conflicts += plan.planned - written
        self.failed += len(plan.failures)
        room = MAX_REPORTED_FAILURES - len(self.failures)
        self.failures.extend(plan.failures[: max(room, 0)])


def reencrypt(
    specs: Sequence[ModelSpec],
    *,
    batch_size: int = 1000,
    using: str = "default",
    progress: Callable[[int], None] = lambda rows: None,
) -> ReencryptReport:
    """Bring every value to the current key; see the module docstring for the guarantees.

    A KeyboardInterrupt (`progress` may raise one between batches) ends the run early with
    `interrupted` set: the batch in progress, if any, is rolled back with its transaction.
    """
    report = ReencryptReport(models=tuple(spec.label for spec in specs))
    started = time.perf_counter()
    try:
        for spec in specs:
            for rows in iterate_raw(spec, batch_size, using):
                plan = plan_batch(spec, rows)
                written = compare_and_swap(spec, plan.updates, using)
                report.add(plan, len(rows), written)
                metrics.record_rows_reencrypted(written)
                progress(len(rows))
    except KeyboardInterrupt:
        report.interrupted = True
    else:
        report.key_check_written = refresh_key_check(using, every_value_verified=not report.failed)
    report.seconds = time.perf_counter() - started
    return report
