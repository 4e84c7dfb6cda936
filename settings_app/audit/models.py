"""The audit trail's models: AuditEvent (append-only), its chain head and coalescing windows.

Events are written only by `settings_app.audit.record()`, which chains each one to the previous
by an HMAC (see `settings_app/audit/chain.py`), in the order of an explicit sequence whose newest
value the one-row AuditChainHead holds. The models live in the `settings_app` app (this
is a package inside it, not an app of its own) and `settings_app.models` re-exports them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from ..constants import KEY_MAX_LENGTH, user_reference


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
    VERSION_RESTORED = "version_restored", "Version restored"
    VERSION_DESTROYED = "version_destroyed", "Version destroyed"
    STALE_WRITE_REFUSED = "stale_write_refused", "Stale write refused"
    API_READ = "api_read", "Read over the API"
    TOKEN_CREATED = "token_created", "Service token created"
    TOKEN_REVOKED = "token_revoked", "Service token revoked"
    NOTICE_SENT = "notice_sent", "Notice sent"
    NOTICE_FAILED = "notice_failed", "Notice not sent"
    SECOND_FACTOR_ADDED = "second_factor_added", "Second factor added"
    SECOND_FACTOR_REMOVED = "second_factor_removed", "Second factor removed"
    RECOVERY_CODES_ISSUED = "recovery_codes_issued", "Recovery codes issued"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    SECOND_FACTOR_RESET = "second_factor_reset", "Second factors reset by an operator"
    RESTORED_FROM_TRASH = "restored_from_trash", "Restored from the trash"
    PURGED = "purged", "Purged from the trash"


class AuditSource(models.TextChoices):
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    CODE = "code", "Code"
    API = "api", "API"


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
    # The chain's order: 1, 2, 3... handed out under the chain head's lock, so two writers can
    # never take the same place (the chain cannot fork) and the id is not needed for order.
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    # How `hash` was computed (chain.FORMAT_VERSION when written; 1 for events from before ids
    # and sequences were hashed).
    chain_format = models.PositiveSmallIntegerField(editable=False)
    # Not unique: an edited row must never make the next append fail. Verification finds forks.
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        app_label = "settings_app"  # stated, not inferred: permissions and tables keep their names
        ordering = ("-sequence",)
        get_latest_by = "sequence"
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


class AuditChainHead(models.Model):
    """The newest event's sequence and hash, in one row that every writer locks.

    Appending reads it under a row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite
    transactions take the write lock up front), so new events chain here whatever was done to
    the events table; verification compares it with the end of the trail, which shows the
    deletion of the newest events.
    """

    ROW_ID = 1

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True, default="")
    # True once the row was recreated while events existed (it had been deleted): a lasting
    # break, since whatever it recorded is lost. Covered by `mac`, so it cannot be cleared.
    restored = models.BooleanField(default=False)
    # HMAC of (sequence, hash, restored) under SECRET_KEY: moving the head back over deleted
    # events takes the key, not just write access to the database.
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        app_label = "settings_app"
        default_permissions = ()  # nobody edits it by hand; not in the admin

    def __str__(self) -> str:
        return f"audit chain head at sequence {self.sequence}"


SUBJECT_MAX_LENGTH = 255  # what a coalesced event is about, e.g. a token name and a key


class CoalescedWindow(models.Model):
    """One open window of one (action, subject): its first event was recorded, repeats counted."""

    action = models.CharField(max_length=32)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(db_index=True)
    repeats = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()
    # What the summary event repeats from the first one: setting_key, actor_label, source,
    # details. Already cleaned for the trail (no values, secrets masked).
    event = models.JSONField(default=dict)

    class Meta:
        app_label = "settings_app"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=("action", "subject", "window_start"), name="coalesced_window_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.subject} from {self.window_start:%H:%M:%S}: +{self.repeats}"
