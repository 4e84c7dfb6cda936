"""`manage.py reencrypt`: move every encrypted value to the current key, safely and resumably."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from settings_app import reencryption
from settings_app.crypto import EncryptionError
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction


class Command(AuditedCommand):
    help = (
        "Re-encrypt legacy plaintext and values under fallback keys with the current key. "
        "Safe to interrupt and rerun; concurrent edits are never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("models", nargs="*", metavar="app_label.Model")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count values by state; write nothing."
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be a positive number of rows, e.g. 1000.")
        try:
            specs = reencryption.encrypted_models(options["models"])
        except (LookupError, ValueError) as error:
            raise CommandError(f"{error} Name models as app_label.Model.") from None
        except EncryptionError as error:
            raise CommandError(str(error)) from None
        if options["dry_run"]:
            self._dry_run(specs, options["database"])
            return
        total = sum(reencryption.count_rows(spec, options["database"]) for spec in specs)
        with self._progress(total) as progress:
            report = reencryption.reencrypt(
                specs,
                batch_size=options["batch_size"],
                using=options["database"],
                progress=progress,
            )
        self.audit(
            AuditAction.REENCRYPTED,
            models=[spec.label for spec in specs],
            scanned=report.scanned,
            updated=report.updated,
            failed=report.failed,
        )
        for failure in report.failures:
            self.audit(
                AuditAction.DECRYPTION_FAILED,
                model=failure.model,
                pk=str(failure.pk),
                field=failure.field,
            )
            self.stderr.write(
                f"FAILED {failure.model} pk={failure.pk} field={failure.field}: {failure.reason}"
            )
        self.stdout.write(
            f"Scanned {report.scanned} rows: {report.updated} re-encrypted, {report.current} "
            f"already current, {report.conflicts} changed concurrently (left as written), "
            f"{report.failed} failed, in {report.seconds:.1f}s "
            f"({report.rows_per_second:,.0f} rows/s)."
        )
        if report.failed:
            raise CommandError(
                f"{report.failed} rows could not be decrypted and were left untouched (see above)."
            )

    def _dry_run(self, specs: list[reencryption.ModelSpec], using: str) -> None:
        for result in reencryption.survey(specs, using=using):
            counts = ", ".join(f"{state}: {n}" for state, n in sorted(result.states.items()))
            self.stdout.write(f"{result.label}: {counts or 'no rows'}")
        self.stdout.write("Dry run: nothing was written.")

    def _progress(self, total: int) -> _Progress:
        return _Progress(total, self.stdout.write, interactive=sys.stdout.isatty())


class _Progress:
    """A tqdm bar on a terminal; a plain line every 10% otherwise (logs, CI)."""

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
