"""`manage.py verify_audit`: check that the audit trail's hash chain is intact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from settings_app.audit import verify_chain
from settings_app.management.base import AuditedCommand
from settings_app.models import AuditAction


class Command(AuditedCommand):
    help = (
        "Walk the audit trail in order and check every event's HMAC chain; exit non-zero at "
        "the first edited or missing event."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        self.audit(AuditAction.AUDIT_VERIFIED, intact=report.ok)  # checked after, not before
        if not report.ok:
            raise CommandError(report.message)
        self.stdout.write(self.style.SUCCESS(report.message))
