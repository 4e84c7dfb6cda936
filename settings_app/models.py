"""The Setting model: one named provider key, encrypted at rest, with its verification state.

Developers read plaintext through the ORM (`Setting.objects.get_value("openai_api_key")`);
the database column only ever holds ciphertext.
"""

from __future__ import annotations

import string
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from . import providers, value_cache
from .fields import BlindIndexField, EncryptedManager, EncryptedTextField

KEY_MAX_LENGTH = 128
_KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")


def validate_setting_key(key: str) -> None:
    """Setting keys are 1-128 ASCII letters, digits, '_', '-' or '.': safe in URLs and shells."""
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise ValidationError(
            f"A setting key has 1 to {KEY_MAX_LENGTH} characters; this one has {len(key)}.",
            code="key_length",
        )
    for position, char in enumerate(key, start=1):
        if char not in _KEY_CHARACTERS:
            shown = "a space" if char == " " else repr(char)
            raise ValidationError(
                f"Character {position} of the key is {shown}, which is not allowed: use only "
                "ASCII letters, digits, '_', '-' and '.' (e.g. openai_api_key).",
                code="key_character",
            )


def _user_reference() -> Any:
    """Who did something; kept as NULL when that user is deleted (the audit trail keeps names)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    VALID = "valid", "Valid"
    RESTRICTED = "restricted", "Valid (restricted)"
    INVALID = "invalid", "Invalid"
    NO_QUOTA = "no_quota", "No quota"
    UNREACHABLE = "unreachable", "Unreachable"


class SettingManager(EncryptedManager):
    def get_value(self, key: str, default: str | None = None) -> str | None:
        """The plaintext of setting `key`, or `default` when there is no such setting.

        Cached per process for KEYVAULT_VALUE_CACHE_SECONDS (see value_cache.py).
        """
        value = value_cache.lookup(key, self._load_value)
        return default if value is None else value

    def _load_value(self, key: str) -> str | None:
        found = self.filter(key=key).first()
        return None if found is None else found.value


class Setting(models.Model):
    """A named secret (usually an LLM provider API key), encrypted at rest."""

    key = models.CharField(
        max_length=KEY_MAX_LENGTH,
        unique=True,
        validators=[validate_setting_key],
        help_text="Name developers read it by, e.g. openai_api_key.",
    )
    value = EncryptedTextField(help_text="Stored encrypted; shown masked after saving.")
    value_fingerprint = BlindIndexField(source="value")
    provider = models.CharField(max_length=32, choices=providers.CHOICES, default=providers.OTHER)
    description = models.TextField(blank=True, default="")
    expires_at = models.DateField(null=True, blank=True, help_text="When the key stops working.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = _user_reference()
    updated_by = _user_reference()
    verification_status = models.CharField(
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        editable=False,
    )
    verification_detail = models.CharField(max_length=255, blank=True, default="", editable=False)
    last_verified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SettingManager()

    class Meta:
        ordering = ("key",)
        verbose_name = "provider key"
        verbose_name_plural = "provider keys"
        permissions = (("reveal_setting", "Can reveal the plaintext value of a setting"),)

    def __str__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        # Never the value: repr() ends up in logs, tracebacks and debug pages.
        return f"<Setting {self.key!r} provider={self.provider!r}>"

    def clean(self) -> None:
        if isinstance(self.value, str):
            try:
                self.value = providers.clean_value(self.provider, self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at < timezone.localdate()

    def record_verification(self, status: str, detail: str) -> None:
        """Store a verification outcome (never the response body or the key)."""
        self.verification_status = status
        self.verification_detail = detail[:255]
        self.last_verified_at = timezone.now()
        self.save(update_fields=["verification_status", "verification_detail", "last_verified_at"])


# --- Audit trail ----------------------------------------------------------------------------
# Events are written only by `settings_app.audit.record()`, which chains each one to the
# previous by an HMAC; see audit.py for the chain format and why it is keyed.


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
    actor = _user_reference()
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
