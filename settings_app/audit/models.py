"""The audit trail's model: AuditEvent, its actions and sources, and the append-only rule.

Events are written only by `settings_app.audit.record()`, which chains each one to the previous
by an HMAC (see `settings_app/audit/chain.py`). The models live in the `settings_app` app (this
is a package inside it, not an app of its own) and `settings_app.models` re-exports them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from ..model_parts import KEY_MAX_LENGTH, user_reference


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"
    VERIFIED = "verified", "Verified"
    REVEALED = "revealed", "Revealed"
    REVEAL_REFUSED = "reveal_refused", "Reveal refused"
    REENCRYPTED = "reencrypted", "Re-encrypted"
    KEY_SET_ROTATED = "key_set_rotated", "Key set rotated"
    DECRYPTION_FAILED = "decryption_failed", "Decryption failed"
    LOGIN_LOCKED_OUT = "login_locked_out", "Login locked out"
    EXPORTED = "exported", "Exported"
    IMPORTED = "imported", "Imported"
    STATUS_CHECKED = "status_checked", "Encryption status checked"
    SEARCHED = "searched", "Searched for a leaked value"
    AUDIT_VERIFIED = "audit_verified", "Audit chain verified"
    NOTICE_SENT = "notice_sent", "Notice sent"
    NOTICE_FAILED = "notice_failed", "Notice not sent"


class AuditSource(models.TextChoices):
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    CODE = "code", "Code"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Bulk writes would bypass the hash chain, so they are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Create audit events with settings_app.audit.record().")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail. Never holds a secret."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # The FK is a convenience link and is not hashed: deleting a user nulls it. The hashed
    # identity is actor_label (a username, or a command such as "manage.py reencrypt").
    actor = user_reference()
    actor_label = models.CharField(max_length=150, blank=True, default="", editable=False)
    action = models.CharField(max_length=32, choices=AuditAction.choices, editable=False)
    setting_key = models.CharField(
        max_length=KEY_MAX_LENGTH, blank=True, default="", db_index=True, editable=False
    )
    source = models.CharField(
        max_length=16, choices=AuditSource.choices, default=AuditSource.CODE, editable=False
    )
    # Text, not GenericIPAddressField: the database must return exactly the hashed string.
    ip = models.CharField("IP address", max_length=45, blank=True, default="", editable=False)
    user_agent = models.CharField(max_length=255, blank=True, default="", editable=False)
    details = models.JSONField(default=dict, blank=True, editable=False)
    # Unique: two writers can never chain to the same predecessor (the chain cannot fork).
    previous_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        app_label = "settings_app"  # stated, not inferred: permissions and tables keep their names
        ordering = ("-id",)
        get_latest_by = "id"
        default_permissions = ("view",)  # nobody adds, changes or deletes events by hand
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.setting_key or '-'} by {self.actor_label or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: they cannot be updated.")
        if not self.hash:
            raise AppendOnlyError("Create audit events with settings_app.audit.record().")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")
