"""Signal receivers that keep the audit trail complete whatever path changes a setting.

Admin, commands and plain ORM code all save through the model, so recording here covers every
entrance; `audit.acting()` tells who is acting. Verification saves record their own event.
Login lockouts (django-axes) are recorded here too. `SettingsAppConfig.ready()` imports this
module, which connects the receivers.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from ..models import Setting
from ..versions.tracking import audit_details as version_details
from .actor import record_as_current_actor
from .models import AuditAction, AuditEvent, AuditSource
from .recording import client_ip, record


@receiver(post_save, sender=Setting)
def record_setting_saved(
    sender: type[Setting], instance: Setting, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    if update_fields and set(update_fields) <= set(Setting.VERIFICATION_FIELDS):
        return  # verification records a "verified" event of its own
    action = AuditAction.CREATED if created else AuditAction.UPDATED
    details = instance.audit_details()
    if update_fields:
        details["fields"] = sorted(update_fields)
    details.update(version_details(instance))  # {"version": n} when the value changed
    record_as_current_actor(action, setting_key=instance.key, **details)


@receiver(post_delete, sender=Setting)
def record_setting_purged(sender: type[Setting], instance: Setting, **kwargs: Any) -> None:
    # A delete moves a setting to the trash (trash/services.py records "deleted"); a row that
    # really goes is purged from it.
    record_as_current_actor(
        AuditAction.PURGED, setting_key=instance.key, **instance.audit_details()
    )


@receiver(user_locked_out)
def record_lockout(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    # axes signals on every refused attempt: one event per username and address per lockout,
    # so an attacker cannot flood the trail.
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AuditEvent.objects.filter(
        action=AuditAction.LOGIN_LOCKED_OUT,
        actor_label=username or "",
        ip=client_ip(request),
        created_at__gte=since,
    )
    if recent.exists():
        return
    record(
        AuditAction.LOGIN_LOCKED_OUT,
        actor_label=username or "",
        source=AuditSource.ADMIN,
        request=request,
        attempted_username=username or "",
    )
