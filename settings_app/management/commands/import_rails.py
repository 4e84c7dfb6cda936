"""`manage.py import_rails`: import the keys a Rails app keeps with Active Record Encryption.

The Rails key set comes from `--keys-file` or ACTIVE_RECORD_ENCRYPTION_* environment variables,
never from the command line (shell history, `ps`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app.importers import rails_keys, rails_source, service
from settings_app.importers.errors import ImporterError
from settings_app.importers.rails_crypto import RailsDecryptor, RailsKeySet
from settings_app.management.base import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Import provider keys from a Rails app's Active Record Encryption table (PromptEngine's "
        "prompt_engine_settings by default). Exits with status 1 when any row fails."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.allow_abbrev = False  # `--key VALUE` must not pass for `--keys-file VALUE`
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--database-url", help="postgres://..., mysql://..., sqlite:////...")
        source.add_argument("--from-file", type=Path, help="A CSV or JSON Lines export.")
        parser.add_argument("--table", default=rails_source.DEFAULT_TABLE)
        parser.add_argument(
            "--column", action="append", default=[], help="Column(s) to import (repeatable)."
        )
        parser.add_argument(
            "--layout", choices=[layout.value for layout in rails_source.Layout], default="auto"
        )
        parser.add_argument(
            "--keys-file",
            action="append",
            type=Path,
            default=[],
            help="Rails key set (YAML or ACTIVE_RECORD_ENCRYPTION_* lines), mode 600. Repeatable.",
        )
        parser.add_argument("--allow-plaintext", action="store_true")
        parser.add_argument("--replace", action="store_true", help="Overwrite existing settings.")
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            decryptor = RailsDecryptor.from_key_sets(key_sets(options["keys_file"]))
            table, label = read_table(options)
            values = rails_source.encrypted_values(
                table, layout=rails_source.Layout(options["layout"]), columns=options["column"]
            )
        except ImporterError as error:
            raise CommandError(str(error)) from None
        report = service.import_rails(
            values,
            decryptor,
            source=label,
            allow_plaintext=options["allow_plaintext"],
            replace_existing=options["replace"],
            dry_run=options["dry_run"],
        )
        for line in report.lines():
            self.stdout.write(line)
        if report.conflicts:
            self.stdout.write("Rerun with --replace to overwrite the settings that exist.")
        if report.failed:
            raise CommandError(f"{len(report.failed)} row(s) failed (see above).", returncode=1)


def key_sets(paths: list[Path]) -> list[RailsKeySet]:
    if paths:
        return [rails_keys.load_keys_file(path) for path in paths]
    return [rails_keys.keys_from_environment(os.environ)]


def read_table(options: dict[str, Any]) -> tuple[rails_source.SourceTable, str]:
    if options["from_file"] is not None:
        return rails_source.read_export(options["from_file"]), str(options["from_file"])
    url = options["database_url"]
    label = f"{rails_source.describe_url(url)} {options['table']}"
    return rails_source.read_database(url, options["table"]), label
