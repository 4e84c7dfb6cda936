"""`manage.py reencrypt`: move every encrypted value to the current key, safely and resumably."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app import reencryption
from settings_app.crypto import EncryptionError
from settings_app.management.base import AuditedCommand
from settings_app.management.interruption import Interruption, deferred_interrupts
from settings_app.management.progress import progress

INTERRUPTED_EXIT_STATUS = 130  # the shell's status for a process ended by SIGINT


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
        specs, using = self._models(options), options["database"]
        if options["dry_run"]:
            self._dry_run(specs, using)
            return
        with deferred_interrupts() as interruption:  # Ctrl-C stops between batches
            report = self._run(specs, using, options["batch_size"], interruption)
            for entry in report.audit_entries():
                self.audit(entry.action, **entry.details)
        if report.interrupted:
            raise CommandError(report.interruption, returncode=INTERRUPTED_EXIT_STATUS)
        for failure in report.failures:
            self.stderr.write(failure.line)
        self.stdout.write(report.summary)
        if report.error:
            raise CommandError(report.error)

    def _run(
        self,
        specs: list[reencryption.ModelSpec],
        using: str,
        batch_size: int,
        interruption: Interruption,
    ) -> reencryption.ReencryptReport:
        with progress(reencryption.count_rows(specs, using), self.stdout.write) as advance:

            def advance_or_stop(rows: int) -> None:
                advance(rows)
                interruption.check()

            return reencryption.reencrypt(
                specs, batch_size=batch_size, using=using, progress=advance_or_stop
            )

    def _dry_run(self, specs: list[reencryption.ModelSpec], using: str) -> None:
        try:
            for result in reencryption.survey(specs, using=using):
                counts = ", ".join(f"{found}: {n}" for found, n in sorted(result.states.items()))
                self.stdout.write(f"{result.label}: {counts or 'no rows'}")
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted: a dry run writes nothing.", returncode=INTERRUPTED_EXIT_STATUS
            ) from None
        self.stdout.write("Dry run: nothing was written.")

    def _models(self, options: dict[str, Any]) -> list[reencryption.ModelSpec]:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be a positive number of rows, e.g. 1000.")
        try:
            return reencryption.encrypted_models(options["models"])
        except (LookupError, ValueError) as error:
            raise CommandError(f"{error} Name models as app_label.Model.") from None
        except EncryptionError as error:
            raise CommandError(str(error)) from None
