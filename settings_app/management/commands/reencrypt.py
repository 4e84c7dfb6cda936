"""`manage.py reencrypt`: move every encrypted value to the current key, safely and resumably."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app import reencryption
from settings_app.crypto import EncryptionError
from settings_app.management.base import AuditedCommand
from settings_app.management.progress import progress


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
            for result in reencryption.survey(specs, using=using):
                counts = ", ".join(f"{found}: {n}" for found, n in sorted(result.states.items()))
                self.stdout.write(f"{result.label}: {counts or 'no rows'}")
            self.stdout.write("Dry run: nothing was written.")
            return
        with progress(reencryption.count_rows(specs, using), self.stdout.write) as advance:
            report = reencryption.reencrypt(
                specs, batch_size=options["batch_size"], using=using, progress=advance
            )
        for entry in report.audit_entries():
            self.audit(entry.action, **entry.details)
        for failure in report.failures:
            self.stderr.write(failure.line)
        self.stdout.write(report.summary)
        if report.error:
            raise CommandError(report.error)

    def _models(self, options: dict[str, Any]) -> list[reencryption.ModelSpec]:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be a positive number of rows, e.g. 1000.")
        try:
            return reencryption.encrypted_models(options["models"])
        except (LookupError, ValueError) as error:
            raise CommandError(f"{error} Name models as app_label.Model.") from None
        except EncryptionError as error:
            raise CommandError(str(error)) from None
