"""`manage.py check_usage`: alert when a gateway token passes twice its normal day (cron).

Exit status: 1 when this run sent an alert, 0 otherwise (a token already alerted today does
not count again). Run it every 5 to 15 minutes, like check_keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from settings_app.gateway import alerts
from settings_app.management.base import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Alert the key admins (e-mail, webhook) when a token's gateway usage today exceeds "
        "KEYVAULT_USAGE_ALERT_FACTOR times its baseline; exits 1 when an alert was sent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = alerts.check_usage()
        for alert in run.sent:
            self.stdout.write(
                f"Alerted: token {alert.token.name} used {alert.today_tokens:,} tokens today, "
                f"baseline {alert.baseline.tokens:,}."
            )
        for failure in run.failures:
            self.stderr.write(f"Not sent: {failure}")
        if not run.channels:
            self.stderr.write(
                "No notification channel is configured (key admins' e-mail, "
                "KEYVAULT_NOTIFY_EMAILS, KEYVAULT_NOTIFY_WEBHOOK_URL): alerts are audited only."
            )
        if run.sent:
            raise CommandError(f"{len(run.sent)} usage alert(s) sent.", returncode=1)
