"""`manage.py find_secret`: which settings hold this exact value? (the first question after a leak)

The candidate is read from standard input, never from the command line (shell history, `ps`),
and matched through the blind index: no stored value is decrypted.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError

from settings_app import providers
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction, Setting

FINGERPRINT = Setting._meta.get_field("value_fingerprint")


class Command(AuditedCommand):
    help = "Read a secret from standard input and list the setting keys that hold exactly it."

    def handle(self, *args: Any, **options: Any) -> None:
        if sys.stdin.isatty():
            self.stderr.write("Paste the secret, then press Enter and Ctrl-D:")
        candidate = providers.clean_whitespace(sys.stdin.read())  # as values are stored
        if not candidate:
            raise CommandError(
                "No secret on standard input; pipe it in: `... | manage.py find_secret`."
            )
        candidates = FINGERPRINT.index().candidates(candidate)
        keys = list(
            Setting.objects.filter(value_fingerprint__in=candidates).values_list("key", flat=True)
        )
        self.audit(AuditAction.SEARCHED, matches=keys)
        stale = Setting.objects.filter(value_fingerprint__isnull=True).count()
        if stale:
            self.stderr.write(
                f"Warning: {stale} settings have no fingerprint yet; run `manage.py reencrypt` "
                "so that they can be searched."
            )
        if not keys:
            raise CommandError("No setting holds this value.", returncode=1)
        self.stdout.write(f"{len(keys)} setting(s) hold this value:")
        for key in keys:
            self.stdout.write(f"  {key}")
