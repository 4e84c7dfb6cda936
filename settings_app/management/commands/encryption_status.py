"""`manage.py encryption_status`: values by state and key id, and which fallbacks can retire."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app import keyring, reencryption
from settings_app.crypto import EncryptionError
from settings_app.key_advice import DETERMINISTIC_FALLBACKS, PRIMARY_FALLBACKS
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction


class Command(AuditedCommand):
    help = (
        "Count encrypted values by state and key id, and say which fallback keys can be retired. "
        "Exits non-zero while plaintext or undecryptable values remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            keyset = keyring.get_keyset()
            results = reencryption.survey(
                reencryption.encrypted_models(), using=options["database"]
            )
        except EncryptionError as error:
            raise CommandError(str(error)) from None
        used: set[str] = set()
        for result in results:
            mode = "deterministic" if result.deterministic else "randomized"
            self.stdout.write(f"{result.label} ({mode}, current key {result.current_key_id})")
            for state, count in sorted(result.states.items()):
                self.stdout.write(f"  {state:<28} {count:>10}")
                if ":" in state:
                    used.add(state.split(":", 1)[1])
            for key_id, count in sorted(result.index_key_ids.items()):
                self.stdout.write(f"  {'blind index key ' + key_id:<28} {count:>10}")
                used.add(key_id)
        self.stdout.write("Fallback keys:")
        fallbacks = [(PRIMARY_FALLBACKS, k.key_id) for k in keyset.randomized[1:]]
        fallbacks += [(DETERMINISTIC_FALLBACKS, k.key_id) for k in keyset.deterministic[1:]]
        for variable, key_id in fallbacks:
            verdict = (
                "still in use: run `manage.py reencrypt` before retiring it"
                if key_id in used
                else "no value uses it: it can be retired now"
            )
            self.stdout.write(f"  {variable} key {key_id}: {verdict}")
        if not fallbacks:
            self.stdout.write("  none configured")
        problems = sum(result.problems - _fallback_rows(result) for result in results)
        self.audit(AuditAction.STATUS_CHECKED, problems=problems)
        if problems:
            raise CommandError(
                f"{problems} values are plaintext or cannot be decrypted; see above. Plaintext: "
                "set KEYVAULT_SUPPORT_UNENCRYPTED_DATA=true and run `manage.py reencrypt`."
            )
        self.stdout.write("OK: every value is encrypted and readable.")


def _fallback_rows(result: reencryption.FieldSurvey) -> int:
    return sum(n for state, n in result.states.items() if state.startswith("fallback:"))
