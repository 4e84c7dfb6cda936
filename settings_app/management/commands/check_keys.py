"""`manage.py check_keys [--within 30] [--json] [--notify]`: which keys need attention, and why.

Exit status, for cron and CI: 0 when nothing is due, 1 when a key is due, 2 when a notice could
not be sent (a later run retries it). `--json` prints only a JSON list on standard output.
Never prints a value.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app.management.base import AuditedCommand
from settings_app.notifications import report
from settings_app.notifications.due import DEFAULT_WITHIN_DAYS, due_settings
from settings_app.notifications.notices import Outcome, notify_due

MAX_WITHIN_DAYS = 3650


def within_days(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_WITHIN_DAYS:
        raise argparse.ArgumentTypeError(
            f"give a whole number of days from 0 to {MAX_WITHIN_DAYS}, e.g. --within 30"
        )
    return int(text)


class Command(AuditedCommand):
    help = (
        "List keys that are expired or expire soon, are older than their rotation policy, "
        "failed their last verification or were not verified lately. Exits with status 1 "
        "when any key is due, 2 when a notice could not be sent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--within",
            type=within_days,
            default=DEFAULT_WITHIN_DAYS,
            metavar="DAYS",
            help=f"List keys that expire within DAYS days (default {DEFAULT_WITHIN_DAYS}).",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print only a JSON list of due keys on stdout."
        )
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Send the notices that are due by e-mail and webhook (each one once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        found = due_settings(within_days=options["within"])
        if options["json"]:
            self.stdout.write(json.dumps(report.due_json(found), indent=2))
        else:
            self.stdout.write("\n".join(report.due_lines(found)))
        failed = 0
        if options["notify"]:
            sent = notify_due()
            failed = len(sent.with_outcome(Outcome.FAILED))
            out = self.stderr if options["json"] else self.stdout
            for line in report.notice_lines(sent):
                out.write(line)
        problems = [f"{len(found)} key(s) due." if found else ""]
        problems.append(f"{failed} notice(s) could not be sent." if failed else "")
        if any(problems):
            status = report.NOTICE_FAILED_STATUS if failed else 1
            raise CommandError(" ".join(p for p in problems if p), returncode=status)
