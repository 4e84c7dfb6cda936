"""`manage.py find_secret`: which settings hold a leaked key? Reads it from standard input.

The secret never appears on a command line (shell history, `ps`). It is fingerprinted with the
blind-index keys and matched through the index, in current values and in kept past versions:
no stored value is decrypted.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError

from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction
from settings_app.versions.search import find_settings_holding


class Command(AuditedCommand):
    help = "Read a secret from standard input and list the setting keys that hold exactly it."

    def handle(self, *args: Any, **options: Any) -> None:
        if sys.stdin.isatty():
            self.stderr.write("Paste the secret, then press Enter and Ctrl-D:")
        try:
            found = find_settings_holding(sys.stdin.read())
        except ValueError:
            raise CommandError(
                "No secret on standard input; pipe it in: `... | manage.py find_secret`."
            ) from None
        past = [f"{match.setting_key} version {match.version}" for match in found.past]
        self.audit(
            AuditAction.SEARCHED, matches=found.keys, past_matches=past, trashed=found.trashed
        )
        if found.unindexed:
            self.stderr.write(
                f"Warning: {found.unindexed} settings have no fingerprint yet; run "
                "`manage.py reencrypt` so that they can be searched."
            )
        if not found.found:
            raise CommandError(
                "No setting holds this value, now or in a kept version.", returncode=1
            )
        self.stdout.write(f"{len(found.keys) + len(found.trashed)} setting(s) hold this value:")
        for key in found.keys:
            self.stdout.write(f"  {key}")
        for key in found.trashed:
            self.stdout.write(f"  {key} (in the trash: deleted, restorable until purged)")
        if found.past:
            self.stdout.write(f"{len(found.past)} past version(s) held it:")
            for match in found.past:
                self.stdout.write(f"  {match.describe()}")
