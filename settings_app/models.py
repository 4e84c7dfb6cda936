"""The app's models: Setting, a named provider key encrypted at rest with its verification
state, with its key validator, its manager and the VerificationStatus choices.

The audit trail's models (AuditEvent, AuditAction, AuditSource, AppendOnlyError) live in
`settings_app/audit/models.py`, and Notice (expiry and rotation reminders sent) in
`settings_app/notifications/models.py`; both are re-exported here, so `settings_app.models`
names every model of the app. Developers read plaintext through the ORM
(`Setting.objects.get_value("openai_api_key")`); the database column only ever holds ciphertext.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from . import providers
from .audit.models import AppendOnlyError, AuditAction, AuditEvent, AuditSource
from .fields import BlindIndexField, EncryptedManager, EncryptedTextField
from .model_parts import KEY_MAX_LENGTH, user_reference
from .notifications.models import Notice, NoticeChannel, NoticeKind

__all__ = [
    "KEY_MAX_LENGTH",
    "AppendOnlyError",
    "AuditAction",
    "AuditEvent",
    "AuditSource",
    "Notice",
    "NoticeChannel",
    "NoticeKind",
    "Setting",
    "SettingManager",
    "VerificationStatus",
    "validate_setting_key",
]

_KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")
MAX_ROTATION_DAYS = 3650  # ten years: a longer period is "never"


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


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    VALID = "valid", "Valid"
    RESTRICTED = "restricted", "Valid (restricted)"
    INVALID = "invalid", "Invalid"
    NO_QUOTA = "no_quota", "No quota"
    UNREACHABLE = "unreachable", "Unreachable"


class SettingManager(EncryptedManager):
    def get_value(self, key: str, default: str | None = None) -> str | None:
        """The plaintext of setting `key`, or `default` when there is no such setting."""
        found = self.filter(key=key).first()
        return default if found is None else found.value


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
    rotate_every_days = models.PositiveIntegerField(
        "rotate every (days)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_ROTATION_DAYS)],
        help_text="Replace the key this often. Blank follows the global policy "
        "(KEYVAULT_MAX_KEY_AGE_DAYS); 0 never asks.",
    )
    # When the value itself last changed; metadata edits (description, dates) leave it alone.
    value_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = user_reference()
    updated_by = user_reference()
    verification_status = models.CharField(
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        editable=False,
    )
    verification_detail = models.CharField(max_length=255, blank=True, default="", editable=False)
    last_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What record_verification() writes; a save of only these is not an edit of the key.
    VERIFICATION_FIELDS: ClassVar[tuple[str, ...]] = (
        "verification_status",
        "verification_detail",
        "last_verified_at",
    )

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

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if (update_fields is None or "value" in update_fields) and self._value_changed():
            self.value_changed_at = timezone.now()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "value_changed_at"}
        super().save(*args, **kwargs)

    def _value_changed(self) -> bool:
        """Whether the value differs from the one last stored, by its blind-index fingerprint
        (any configured deterministic key matches, so a key rotation is not a change)."""
        if self._state.adding:
            return True
        if "value" in self.get_deferred_fields() or self.value is None:
            return False
        index = self._meta.get_field("value_fingerprint").index()  # type: ignore[union-attr]
        return self.value_fingerprint not in index.candidates(self.value)

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
        self.save(update_fields=self.VERIFICATION_FIELDS)
