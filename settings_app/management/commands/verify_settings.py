"""`manage.py verify_settings [KEY ...]`: check stored keys with their providers, print a table."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app.encryption import decryption_failures
from settings_app.management.base import AuditedCommand
from settings_app.models import Setting, VerificationStatus
from settings_app.notifications import report
from settings_app.notifications.reverify import MAX_CONCURRENT, parse_age, reverify_stale
from settings_app.providers.classification import VerificationResult
from settings_app.providers.verification import verify_all

HEADINGS = ("KEY", "PROVIDER", "STATUS", "DETAIL")


class Command(AuditedCommand):
    help = (
        "Verify stored keys with their providers (all, or the named ones) and record the "
        "outcome. Exits with status 1 when any key is invalid or cannot be decrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Setting keys (default: all).")
        parser.add_argument(
            "--stale",
            type=stale_age,
            metavar="AGE",
            help=f"Only keys not verified within AGE (e.g. 7d, 12h), {MAX_CONCURRENT} at a "
            "time; a key that turns invalid gets a notice.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stale"] is not None:
            return self.handle_stale(options["stale"], options["keys"])
        settings = select_settings(options["keys"])
        if not settings:
            self.stdout.write("No settings to verify.")
            return
        run = verify_all(settings)
        if run.verified:
            self.stdout.write(format_table(run.verified))
        for setting, error in run.unreadable:
            advice = decryption_failures.REASONS[error.reason].advice
            self.stderr.write(f"{decryption_failures.describe(setting, error)}. {advice}")
        problems = [
            _listed("setting(s) cannot be decrypted", [s.key for s, _ in run.unreadable]),
            _listed("invalid key(s)", [s.key for s, r in run.verified if r.status == INVALID]),
        ]
        if any(problems):
            raise CommandError(" ".join(problem for problem in problems if problem))

    def handle_stale(self, age: tuple[str, timedelta], keys: Sequence[str]) -> None:
        """--stale: re-verify concurrently only what was not verified within the age."""
        run = reverify_stale(age[1], select_settings(keys) if keys else None)
        if run.verified:
            self.stdout.write(format_table(run.verified))
        self.stdout.write("\n".join(report.stale_lines(run, age[0])))
        for line in report.unreadable_lines(run):
            self.stderr.write(line)
        problem, status = report.stale_problem(run)
        if problem:
            raise CommandError(problem, returncode=status)


INVALID = VerificationStatus.INVALID


def _listed(what: str, keys: Sequence[str]) -> str:
    return f"{len(keys)} {what}: {', '.join(keys)}." if keys else ""


def stale_age(text: str) -> tuple[str, timedelta]:
    """--stale's argument, as given (for messages) and as a duration."""
    try:
        return text, parse_age(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def select_settings(keys: Sequence[str]) -> list[Setting]:
    """The named settings (in the order given), or all; an unknown name is an error naming it."""
    if not keys:
        return list(Setting.objects.all())
    found = {s.key: s for s in Setting.objects.filter(key__in=keys)}
    missing = [key for key in keys if key not in found]
    if missing:
        raise CommandError(f"No setting named {', '.join(map(repr, missing))}.")
    return [found[key] for key in dict.fromkeys(keys)]


def format_table(rows: Sequence[tuple[Setting, VerificationResult]]) -> str:
    """Aligned columns: key, provider, status, detail (never the value)."""
    lines = [HEADINGS] + [(s.key, s.provider, str(r.status), r.detail) for s, r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
        + "  "
        + line[3]
        for line in lines
    )
