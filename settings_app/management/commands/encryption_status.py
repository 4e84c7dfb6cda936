"""`manage.py encryption_status`: values by state and key id, and which fallbacks can retire."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app import reencryption
from settings_app.crypto import EncryptionError
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction


class Command(AuditedCommand):
    help = (
        "Count encrypted values by state and key id, and say which fallback keys can be retired. "
        "Exits non-zero while plaintext or undecryptable values remain."
    )
    # It diagnoses what the checks report (wrong keys): it must run when they fail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            status = reencryption.encryption_status(using=options["database"])
        except EncryptionError as error:
            raise CommandError(str(error)) from None
        for result in status.surveys:
            self._write_survey(result)
        self.stdout.write(f"Key check: {status.key_check.summary}")
        self._write_fallbacks(status.fallbacks)
        for swap in status.swaps:
            self.stderr.write(f"Warning: {swap.message}")
        self._audit(status)
        if status.key_check.is_problem:
            raise CommandError(status.key_check.message)
        if status.problems:
            raise CommandError(
                f"{status.problems} values are plaintext or cannot be decrypted; see above. "
                "Plaintext: set KEYVAULT_SUPPORT_UNENCRYPTED_DATA=true and run "
                "`manage.py reencrypt`."
            )
        self.stdout.write("OK: every value is encrypted and readable.")

    def _audit(self, status: reencryption.EncryptionStatus) -> None:
        details: dict[str, Any] = {"problems": status.problems}
        if status.key_check.is_problem:
            details["key_check"] = status.key_check.state.value
        self.audit(AuditAction.STATUS_CHECKED, **details)

    def _write_survey(self, result: reencryption.FieldSurvey) -> None:
        mode = "deterministic" if result.deterministic else "randomized"
        self.stdout.write(f"{result.label} ({mode}, current key {result.current_key_id})")
        for found, count in sorted(result.states.items()):
            self.stdout.write(f"  {found!s:<28} {count:>10}")
        for key_id, count in sorted(result.index_key_ids.items()):
            self.stdout.write(f"  {'blind index key ' + key_id:<28} {count:>10}")

    def _write_fallbacks(self, fallbacks: list[reencryption.FallbackKey]) -> None:
        self.stdout.write("Fallback keys:")
        for key in fallbacks:
            verdict = (
                "no value uses it: it can be retired now"
                if key.retirable
                else "still in use: run `manage.py reencrypt` before retiring it"
            )
            self.stdout.write(f"  {key.variable} key {key.key_id}: {verdict}")
        if not fallbacks:
            self.stdout.write("  none configured")
