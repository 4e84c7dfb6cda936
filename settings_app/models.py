"""Setting, a named provider key encrypted at rest, and the re-export of every model of the app."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, router, transaction
from django.utils import timezone

from . import audit, providers
from .api.models import RateLimitCounter, ServiceToken
from .audit.models import (
    AppendOnlyError,
    AuditAction,
    AuditChainHead,
    AuditEvent,
    AuditSource,
    CoalescedWindow,
)
from .constants import KEY_CHARACTERS, KEY_MAX_LENGTH, VerificationStatus, user_reference
from .credentials import envelope as credential_envelope
from .credentials import schema as credential_schema
from .credentials import storage as credential_storage
from .credentials.errors import StructuredCredentialError
from .credentials.index import SecretFieldsIndexField
from .credentials.value import Credential, from_value
from .encryption import decryption_failures
from .encryption.fields import BlindIndexField, EncryptedQuerySet, EncryptedTextField
from .form_tickets.models import FormTicket
from .gateway.models import GatewayUsage, UsageAlertSent
from .key_check.models import KeyCheck
from .lookups import values as value_cache
from .notifications.models import Notice, NoticeChannel, NoticeKind
from .twofactor.models import RecoveryCode, RecoveryCodeDevice
from .versions.models import SettingVersion

__all__ = [
    "KEY_MAX_LENGTH",
    "AppendOnlyError",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "AuditSource",
    "CoalescedWindow",
    "DeletedSetting",
    "FormTicket",
    "GatewayUsage",
    "KeyCheck",
    "Notice",
    "NoticeChannel",
    "NoticeKind",
    "RateLimitCounter",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "ServiceToken",
    "Setting",
    "SettingManager",
    "SettingQuerySet",
    "SettingVersion",
    "UsageAlertSent",
    "VerificationStatus",
    "is_setting_key",
    "validate_setting_key",
]

MAX_ROTATION_DAYS = 3650  # ten years: a longer period is "never"
# The single-key providers, then the structured ones (settings_app/credentials), then "other".
PROVIDER_CHOICES = [*providers.CHOICES[:-1], *credential_schema.CHOICES, providers.CHOICES[-1]]


def is_setting_key(key: str) -> bool:
    """Whether `key` could name a setting: the syntax `validate_setting_key` enforces."""
    return 1 <= len(key) <= KEY_MAX_LENGTH and KEY_CHARACTERS.issuperset(key)


def validate_setting_key(key: str) -> None:
    """Setting keys are 1-128 ASCII letters, digits, '_', '-' or '.': safe in URLs and shells."""
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise ValidationError(
            f"A setting key has 1 to {KEY_MAX_LENGTH} characters; this one has {len(key)}.",
            code="key_length",
        )
    for position, char in enumerate(key, start=1):
        if char not in KEY_CHARACTERS:
            shown = "a space" if char == " " else repr(char)
            raise ValidationError(
                f"Character {position} of the key is {shown}, which is not allowed: use only "
                "ASCII letters, digits, '_', '-' and '.' (e.g. openai_api_key).",
                code="key_character",
            )


class SettingQuerySet(EncryptedQuerySet):
    """Bulk writes of settings commit together with one audit event per row, or not at all."""

    def delete(self) -> tuple[int, dict[str, int]]:
        """Move every matched setting to the trash (trash/services.py), each audited."""
        from .trash.services import move_to_trash

        with transaction.atomic(using=self._write_db()):
            moved = list(self)
            for setting in moved:
                move_to_trash(setting)  # type: ignore[arg-type]
        return len(moved), {self.model._meta.label: len(moved)}

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        """Insert the settings and one "created" event per row, in one transaction."""
        if ignore_conflicts or update_conflicts:
            raise ValueError(
                "Setting.objects.bulk_create() records one audit event per row, so it cannot "
                "skip or update conflicting rows; check for existing keys first, or save each "
                "setting with .save()."
            )
        with transaction.atomic(using=self._write_db()):
            created: list[Any] = super().bulk_create(objs, batch_size=batch_size)
            audit.record_each_as_current_actor(
                AuditAction.CREATED, [(s.key, s.audit_details()) for s in created]
            )
        return created

    def _write_db(self) -> str:
        """Where Django's own write through this queryset goes."""
        return self._db or router.db_for_write(self.model, **self._hints)  # type: ignore[attr-defined]


class SettingManager(models.Manager.from_queryset(SettingQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> SettingQuerySet:
        """Settings not in the trash: a deleted key is absent until restored (trash/)."""
        return super().get_queryset().filter(deleted_at__isnull=True)

    def get_value(self, key: str, default: str | None = None) -> str | None:
        """The plaintext of setting `key`, or `default` when there is no such setting.

        A stored value that cannot be decrypted raises DecryptionError (audited once). Values
        are cached per process for KEYVAULT_VALUE_CACHE_SECONDS (see lookups/values.py).
        """
        value = self.get_stored_value(key)
        if credential_envelope.is_envelope(value):
            raise StructuredCredentialError(key, credential_envelope.loads(value).provider.name)
        return default if value is None else value

    def get_stored_value(self, key: str) -> str | None:
        """The stored plaintext of `key`, cached as `get_value`'s: a single key or a structured
        credential's envelope (the gateway routes by the latter; read it with `get_credential`)."""
        return value_cache.lookup(key, self._load_value)

    def get_credential(self, key: str) -> Credential | None:
        """Setting `key` as a Credential (a single key too), or None when there is none."""
        found = self.filter(key=key).first()
        if found is None:
            return None
        value = decryption_failures.readable_value(found, during="get_credential")
        return from_value(found.provider, key, value)

    def _load_value(self, key: str) -> str | None:
        found = self.filter(key=key).first()
        if found is None:
            return None
        return decryption_failures.readable_value(found, during="get_value")

    def set_value(
        self,
        key: str,
        value: str,
        *,
        expected_version: int | None = None,
        actor: Any = None,
        provider: str | None = None,
    ) -> Setting:
        """Create or replace the value of `key` as a new version; see versions.services."""
        from .versions import services

        return services.set_value(
            key, value, expected_version=expected_version, actor=actor, provider=provider
        )

    def rollback(
        self, key: str, version: int, *, actor: Any = None, expected_version: int | None = None
    ) -> Setting:
        """Make an earlier version's value current again, as a new version."""
        from .versions import services

        return services.rollback(key, version, actor=actor, expected_version=expected_version)


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
    # A structured credential's secret fields, one fingerprint each: find_secret finds it by any.
    secret_fingerprints = SecretFieldsIndexField()
    provider = models.CharField(max_length=32, choices=PROVIDER_CHOICES, default=providers.OTHER)
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
    # When the value itself last changed: set with each new version (versions/tracking.py), so
    # metadata edits (description, dates) leave it alone. A key's age counts from it.
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
    # 1 for a new setting, +1 on each change of the value (settings_app.versions.tracking).
    version = models.PositiveIntegerField(default=1, editable=False)
    service_only = models.BooleanField(
        default=False,
        help_text=(
            "Only services can read it, with a service token; nobody can reveal it here. "
            "Once set, it cannot be cleared in the admin."
        ),
    )

    # When it was moved to the trash (trash/services.py); NULL while it is in use.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    objects = SettingManager()

    class Meta:
        ordering = ("key",)
        verbose_name = "provider key"
        verbose_name_plural = "provider keys"
        permissions = (
            ("reveal_setting", "Can reveal the plaintext value of a setting"),
            ("rollback_setting", "Can restore an earlier version of a setting"),
        )

    def __str__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        # Never the value: repr() ends up in logs, tracebacks and debug pages.
        return f"<Setting {self.key!r} provider={self.provider!r}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save in one transaction with what the save signals write (version, audit event).

        The change and its audit event commit together, or neither does and the caller gets
        the error."""
        from .versions.tracking import fields_saved_with

        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = fields_saved_with(kwargs["update_fields"])
        from .trash.services import refuse_trashed_key

        if self._state.adding:
            refuse_trashed_key(self)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Move it to the trash (undoable for KEYVAULT_TRASH_DAYS); `purge()` destroys it."""
        from .trash.services import move_to_trash

        move_to_trash(self)
        return 1, {self._meta.label: 1}

    def purge(self, using: str | None = None) -> tuple[int, dict[str, int]]:
        """Destroy the row and its versions for good (the post_delete event says `purged`)."""
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):  # with its post_delete event, as save()
            return super().delete(using=using)

    def validate_unique(self, exclude: Collection[str] | None = None) -> None:
        super().validate_unique(exclude=exclude)
        if not exclude or "key" not in exclude:
            from .trash.services import refuse_trashed_key

            refuse_trashed_key(self)

    def audit_details(self) -> dict[str, Any]:
        """What every audit event about a change of this setting says besides its key."""
        return {"provider": self.provider}

    def clean(self) -> None:
        if not isinstance(self.value, str):
            return
        try:
            self.value = credential_storage.clean_value(self.provider, self.value)
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


class TrashManager(models.Manager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> EncryptedQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=False)


class DeletedSetting(Setting):
    """A proxy of Setting over the rows in the trash (settings_app/trash/), as the "Deleted
    keys" admin page lists them."""

    objects = TrashManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ("-deleted_at",)
        verbose_name = "deleted key"
        verbose_name_plural = "deleted keys"
