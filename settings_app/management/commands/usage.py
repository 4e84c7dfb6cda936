"""`manage.py usage [--days N] [--token NAME] [--json]`: gateway usage by day, token and model.

Never prints a value or a prompt: only names and counts.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from settings_app.gateway import report

MAX_DAYS = 3650


def day_count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"give a whole number of days from 1 to {MAX_DAYS}, e.g. --days 7"
        )
    return int(text)


class Command(BaseCommand):
    help = "Print the gateway's recorded usage: one row per day, token, setting key and model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=day_count, default=report.DEFAULT_DAYS, help="Days back (default 30)."
        )
        parser.add_argument("--token", metavar="NAME", help="Only this service token's usage.")
        parser.add_argument("--json", action="store_true", help="Print a JSON list.")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [report.as_json(row) for row in report.usage_rows(options["days"], options["token"])]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write(f"No gateway usage in the last {options['days']} days.")
            return
        self.stdout.write("\n".join(report.as_table(rows)))
