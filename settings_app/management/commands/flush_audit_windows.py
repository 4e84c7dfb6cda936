"""`manage.py flush_audit_windows`: append the summaries of finished coalescing windows.

Summaries are also written whenever a later window opens; run this every minute or so from
cron so that the last busy minute before a quiet spell is in the trail promptly too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from settings_app.audit import coalescing as audit_coalescing


class Command(BaseCommand):
    help = "Write the summary events of finished audit coalescing windows (repeated API reads)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = audit_coalescing.flush_due(limit=None)
        self.stdout.write(f"Wrote {total} summary event{'s' if total != 1 else ''}.")
