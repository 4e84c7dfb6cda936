"""A base for keyvault's commands: what they do is recorded as done by `manage.py <name>`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from settings_app import audit
from settings_app.models import AuditSource


class AuditedCommand(BaseCommand):
    """Runs `handle()` with the audit actor set to this command (ORM saves included)."""

    @property
    def audit_label(self) -> str:
        return f"manage.py {type(self).__module__.rsplit('.', 1)[-1]}"

    def execute(self, *args: Any, **options: Any) -> str | None:
        with audit.acting(AuditSource.COMMAND, label=self.audit_label):
            return super().execute(*args, **options)

    def audit(self, action: str, *, setting_key: str = "", **details: Any) -> None:
        audit.record_as_current_actor(action, setting_key=setting_key, **details)
