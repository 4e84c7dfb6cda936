"""`manage.py init_encryption`: generate (or rotate) the key set and say how to keep it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError

from settings_app.crypto import KeyConfigurationError, KeySet
from settings_app.encryption import keyring
from settings_app.encryption.key_advice import DETERMINISTIC, PRIMARY, SALT
from settings_app.encryption.key_files import (
    KeyFileError,
    format_env,
    format_json,
    new_key_set,
    rotated_key_set,
    write_env_file,
)
from settings_app.key_check.fork_guard import (
    START_OVER_FLAG,
    ExistingDataError,
    refuse_new_keys_beside_data,
)
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction

STORAGE_ADVICE = """\
Store these values as environment variables, as *_FILE secrets (e.g. KEYVAULT_PRIMARY_KEY_FILE=
/run/secrets/keyvault_primary_key) or in a secret manager. Back them up now, somewhere other
than the database: without them no stored value can ever be read again."""

ROTATION_STEPS = """\
Next steps:
  1. Deploy the new configuration above (every process: web and workers).
  2. Run `python manage.py reencrypt` to move every value to the new key.
  3. Run `python manage.py encryption_status`: it says when a fallback key can be retired.
  4. Remove the old key from the *_FALLBACKS variable and deploy again."""


class Command(AuditedCommand):
    help = "Generate a fresh encryption key set, or rotate the current one (--rotate)."
    requires_system_checks: list[str] = []  # it must run before any key exists

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["env", "json"], default="env")
        parser.add_argument(
            "--write", metavar="PATH", help="Append to this env file (created with mode 0600)."
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Make a new primary key current and keep the present one as a fallback.",
        )
        parser.add_argument(
            "--include-deterministic",
            action="store_true",
            help="With --rotate: rotate the deterministic key too.",
        )
        parser.add_argument(
            START_OVER_FLAG,
            action="store_true",
            help="Write a new key set even though the database holds values under other keys "
            "(they stay unreadable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["include_deterministic"] and not options["rotate"]:
            raise CommandError("--include-deterministic only makes sense with --rotate.")
        values = (
            self._rotated(options["include_deterministic"]) if options["rotate"] else new_key_set()
        )
        if options["write"]:
            if not (options["rotate"] or options["start_over"]):
                self._refuse_fork()
            path = Path(options["write"])
            try:
                mode = write_env_file(path, values)
            except (KeyFileError, OSError) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Wrote {', '.join(values)} to {path} (mode {mode:04o}).")
        else:
            render = format_json if options["format"] == "json" else format_env
            self.stdout.write(render(values), ending="")
        self.stderr.write("\n" + STORAGE_ADVICE)
        if options["rotate"]:
            self._audit_rotation(values)
            self.stderr.write("\n" + ROTATION_STEPS)

    def _refuse_fork(self) -> None:
        try:
            refuse_new_keys_beside_data()
        except ExistingDataError as error:
            raise CommandError(str(error)) from None

    def _audit_rotation(self, values: dict[str, str]) -> None:
        """Record the new key ids (never the keys); the database may not be reachable here."""
        keys = KeySet(
            primary=values[PRIMARY], deterministic=values[DETERMINISTIC], salt=values[SALT]
        )
        try:
            self.audit(
                AuditAction.KEY_SET_ROTATED,
                new_primary_key_id=keys.randomized[0].key_id,
                new_deterministic_key_id=keys.deterministic[0].key_id,
            )
        except DatabaseError:
            self.stderr.write("Note: the rotation could not be written to the audit trail.")

    def _rotated(self, include_deterministic: bool) -> dict[str, str]:
        try:
            keyring.build_keyset()  # never rotate away from a broken configuration
        except KeyConfigurationError as error:
            raise CommandError(f"The current key set is not usable: {error}") from None
        return rotated_key_set(
            primary=settings.KEYVAULT_PRIMARY_KEY,
            primary_fallbacks=list(settings.KEYVAULT_PRIMARY_KEY_FALLBACKS),
            deterministic=settings.KEYVAULT_DETERMINISTIC_KEY,
            deterministic_fallbacks=list(settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS),
            salt=settings.KEYVAULT_KEY_DERIVATION_SALT,
            rotate_deterministic=include_deterministic,
        )
