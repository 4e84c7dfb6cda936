"""`manage.py purge_deleted`: destroy keys that have been in the trash longer than
KEYVAULT_TRASH_DAYS (run it daily; README "Schedule")."""

from __future__ import annotations

from typing import Any

from settings_app.management.base import AuditedCommand
from settings_app.trash.services import purge_expired, trash_days


class Command(AuditedCommand):
    help = "Purge deleted keys older than KEYVAULT_TRASH_DAYS (each purge is audited)."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_expired()
        days = trash_days()
        if not purged:
            self.stdout.write(f"Nothing in the trash is older than {days} days.")
            return
        self.stdout.write(f"Purged {len(purged)} key(s) deleted over {days} days ago:")
        for key in purged:
            self.stdout.write(f"  {key}")
