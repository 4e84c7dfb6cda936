"""`manage.py import_env FILE`: import the provider keys of a .env file (`-`: standard input)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app.importers import dotenv_source, service
from settings_app.importers.errors import ImporterError
from settings_app.management.base import AuditedCommand

STDIN = "-"


class Command(AuditedCommand):
    help = (
        "Import OPENAI_API_KEY, ANTHROPIC_API_KEY... from a .env file (--all: every *_API_KEY, "
        "*_TOKEN and *_SECRET). Exits with status 1 when any key fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .env file, or - for standard input.")
        parser.add_argument("--all", action="store_true", help="Every secret-looking variable.")
        parser.add_argument("--replace", action="store_true", help="Overwrite existing settings.")
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        parser.add_argument(
            "--no-group",
            action="store_true",
            help="Keep AZURE_OPENAI_* and AWS_* variables apart instead of grouping each family "
            "into one credential.",
        )
        parser.add_argument(
            "--delete-imported",
            action="store_true",
            help="Rewrite FILE without the imported lines (a '# moved to keyvault' comment stays).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from_stdin = options["file"] == STDIN
        if from_stdin and options["delete_imported"]:
            raise CommandError("--delete-imported rewrites a file; it cannot rewrite stdin.")
        try:
            text = (
                sys.stdin.read()
                if from_stdin
                else dotenv_source.read_env_text(Path(options["file"]))
            )
        except ImporterError as error:
            raise CommandError(str(error)) from None
        env = dotenv_source.parse_env(text, "standard input" if from_stdin else options["file"])
        report = service.import_env(
            env,
            include_all=options["all"],
            replace_existing=options["replace"],
            dry_run=options["dry_run"],
            group=not options["no_group"],
        )
        for line in report.lines():
            self.stdout.write(line)
        self._clean_up(env, text, report, options)
        if report.failed:
            raise CommandError(f"{len(report.failed)} key(s) failed (see above).", returncode=1)

    def _clean_up(
        self,
        env: dotenv_source.EnvFile,
        text: str,
        report: service.EnvImportReport,
        options: dict[str, Any],
    ) -> None:
        if not report.deletable:
            return
        names = {entry.line: entry.name for entry in env.entries}
        when = "once imported" if report.dry_run else "now"
        self.stdout.write(f"These lines of {env.label} can {when} be deleted:")
        for line, stored_as in sorted(report.deletable.items()):
            self.stdout.write(f"  line {line}: {names[line]} (in keyvault as {stored_as})")
        if options["delete_imported"] and not report.dry_run:
            try:
                dotenv_source.rewrite_file(Path(options["file"]), text, report.deletable)
            except ImporterError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Deleted them from {env.label}.")
