"""`manage.py verify_settings [KEY ...]`: check stored keys with their providers, print a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app import decryption_failures
from settings_app.management.base import AuditedCommand
from settings_app.models import Setting, VerificationStatus
from settings_app.verification import VerificationResult, verify_all

HEADINGS = ("KEY", "PROVIDER", "STATUS", "DETAIL")


class Command(AuditedCommand):
    help = (
        "Verify stored keys with their providers (all, or the named ones) and record the "
        "outcome. Exits with status 1 when any key is invalid or cannot be decrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Setting keys (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
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


INVALID = VerificationStatus.INVALID


def _listed(what: str, keys: Sequence[str]) -> str:
    return f"{len(keys)} {what}: {', '.join(keys)}." if keys else ""


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
