"""Writing values as versions: check-and-set, rollback and destroy, each one transaction.

Every function locks the setting's row (`SELECT ... FOR UPDATE`; on SQLite the settings begin
every transaction IMMEDIATE, which serializes writers), checks, writes, and records its audit
events in the same transaction: if the audit write fails, nothing is saved. A refused stale
write is recorded and committed before `VersionConflict` is raised.

`actor` names the user a change is made for; `None` keeps whoever `audit.acting()` says is
acting (the admin request's user, `manage.py <command>`, or plain code), which is trusted,
as for every other service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import audit, providers
from ..credentials.storage import clean_value
from ..encryption.unreadable import UnreadableValue
from ..logs.redaction import redact
from ..models import PROVIDER_CHOICES, AuditAction, Setting, validate_setting_key
from ..providers import client as provider_client
from ..providers.classification import VerificationResult
from . import tracking
from .errors import (
    NothingToRestore,
    VersionConflict,
    VersionDestroyed,
    VersionIsCurrent,
    VersionNotFound,
)
from .models import SettingVersion

RESTORED_DETAIL = "Status version {number} had when it was current; not checked again."


@sensitive_variables("value")
def set_value(
    key: str,
    value: str,
    *,
    expected_version: int | None = None,
    actor: AbstractBaseUser | None = None,
    provider: str | None = None,
) -> Setting:
    """Create setting `key` or replace its value, as a new version; returns the setting.

    `expected_version`: None writes whatever the current version is; 0 only creates; N only
    replaces version N, else `VersionConflict` names who changed it and when. `provider` is
    used for a new setting (inferred from the key when None). Writing the value the setting
    already holds changes nothing. A bad key or value raises `ValidationError`.
    """
    _check_expected(expected_version)
    with _acting_as(actor), transaction.atomic(using=_db()):
        setting = _locked(key)
        if setting is None and expected_version in (None, 0):
            created, setting = _create_or_find(key, value, provider)
            if created:
                return setting
        conflict = _conflict(key, setting, expected_version)
        if conflict is None:
            assert setting is not None  # _conflict refuses a missing setting
            return _replace(setting, value)
        _record_refusal(conflict)
    raise conflict


def rollback(
    key: str,
    version: int,
    *,
    actor: AbstractBaseUser | None = None,
    expected_version: int | None = None,
    verification: VerificationResult | None = None,
) -> Setting:
    """Make version `version` of `key` current again, re-encrypted as a new version.

    History stays append-only: versions in between are kept. `verification` is the outcome of
    checking that version with its provider just before (the admin's "verify before
    restoring"); without it the restored value gets the status it had. Raises
    `Setting.DoesNotExist`, `VersionNotFound`, `VersionDestroyed`, `NothingToRestore` or
    `VersionConflict`. No plaintext leaves this function.
    """
    _check_expected(expected_version)
    with _acting_as(actor), transaction.atomic(using=_db()):
        setting = _existing(key)
        conflict = _conflict(key, setting, expected_version)
        if conflict is None:
            return _restore(setting, _restorable(setting, version), verification)
        _record_refusal(conflict)
    raise conflict


def destroy_version(
    key: str, version: int, *, actor: AbstractBaseUser | None = None
) -> SettingVersion:
    """Erase the ciphertext (and fingerprint) of one past version; its metadata stays."""
    with _acting_as(actor), transaction.atomic(using=_db()):
        setting = _existing(key)
        row = _version_row(setting, version)
        if row.version == setting.version:
            raise VersionIsCurrent(
                f"Version {version} is the current value of {key}: replace the value first "
                "(or delete the setting), then destroy this version."
            )
        if row.is_destroyed:
            raise VersionDestroyed(f"Version {version} of {key} is already destroyed.")
        row.value = None  # the index fields clear the fingerprints with it
        row.destroyed_at = timezone.now()
        row.destroyed_by_label = tracking.acting_identity()[1]
        erased = ["value", "value_fingerprint", "secret_fingerprints"]
        row.save(update_fields=[*erased, "destroyed_at", "destroyed_by_label"])
        audit.record_as_current_actor(
            AuditAction.VERSION_DESTROYED, setting_key=key, version=version
        )
        return row


@sensitive_variables()
def verify_version(setting: Setting, version: int) -> VerificationResult | None:
    """Ask the provider whether version `version` of `setting` works now; None if the provider
    is unknown to keyvault. Recorded as a verification; the value never leaves this call."""
    provider = providers.get_provider(setting.provider)
    if provider is None:
        return None
    row = _version_row(setting, version, with_value=True)
    if row.value is None:
        raise VersionDestroyed(f"Version {version} of {setting.key} was destroyed.")
    result = provider_client.check_key(provider, row.value)
    audit.record_as_current_actor(
        AuditAction.VERIFIED, setting_key=setting.key, status=result.status, version=version
    )
    # Provider answers sometimes echo the key back: the detail is shown and stored.
    detail = redact(result.detail, row.value)
    return VerificationResult(result.status, detail)


def last_change(setting: Setting) -> tuple[str, Any]:
    """(who, when) of the newest change of the value."""
    newest = setting.versions.defer("value").order_by("-version").first()
    if newest is not None:
        return newest.created_by_label, newest.created_at
    by = setting.updated_by.get_username() if setting.updated_by else ""
    return by, setting.updated_at


def conflict_for(setting: Setting, expected_version: int) -> VersionConflict | None:
    """The conflict a write expecting `expected_version` would meet, recorded; or None."""
    conflict = _conflict(setting.key, setting, expected_version)
    if conflict is not None:
        _record_refusal(conflict)
    return conflict


# --- steps --------------------------------------------------------------------------------


def _db() -> str:
    return router.db_for_write(Setting)


def _check_expected(expected_version: int | None) -> None:
    if expected_version is not None and (
        isinstance(expected_version, bool) or not isinstance(expected_version, int)
    ):
        raise TypeError("expected_version is a version number (int) or None.")
    if expected_version is not None and expected_version < 0:
        raise ValueError(
            "expected_version is 0 (the setting must not exist yet) or a version number."
        )


@contextmanager
def _acting_as(actor: AbstractBaseUser | None) -> Iterator[None]:
    """Attribute what happens inside to `actor`, keeping the current source and request."""
    if actor is None:
        yield
        return
    current = audit.current_actor()
    with audit.acting(current.source, user=actor, request=current.request, **current.details):
        yield


def _locked(key: str) -> Setting | None:
    """The setting, row-locked, even when the configured keys cannot read its value (so that
    a damaged value can still be replaced or rolled back)."""
    # An unreadable value loads as UnreadableValue (fields.py), so the row always loads.
    setting = Setting.objects.select_for_update(of=("self",)).filter(key=key).first()
    return None if setting is None else tracking.mark_fresh(setting)


def _existing(key: str) -> Setting:
    setting = _locked(key)
    if setting is None:
        raise Setting.DoesNotExist(f"There is no setting {key!r}.")
    return setting


def _conflict(
    key: str, setting: Setting | None, expected_version: int | None
) -> VersionConflict | None:
    current = 0 if setting is None else setting.version
    if expected_version is None or expected_version == current:
        return None
    by, at = ("", None) if setting is None else last_change(setting)
    return VersionConflict(
        key, expected=expected_version, current=current, changed_by=by, changed_at=at
    )


def _record_refusal(conflict: VersionConflict) -> None:
    audit.record_as_current_actor(
        AuditAction.STALE_WRITE_REFUSED,
        setting_key=conflict.key,
        expected_version=conflict.expected,
        current_version=conflict.current,
    )


@sensitive_variables("value")
def _create_or_find(key: str, value: str, provider: str | None) -> tuple[bool, Setting]:
    """(True, a new setting at version 1), or (False, the one another writer created first)."""
    validate_setting_key(key)
    slug = _provider(key, provider)
    user = tracking.acting_identity()[0]
    setting = Setting(key=key, provider=slug, value=clean_value(slug, value))
    setting.created_by = setting.updated_by = user
    try:
        with transaction.atomic(using=_db()):
            setting.save(force_insert=True)
    except IntegrityError:
        found = _locked(key)
        if found is None:
            raise
        return False, found
    return True, setting


def _provider(key: str, provider: str | None) -> str:
    slug = provider or providers.provider_for_key(key)
    known_slugs = [choice for choice, _ in PROVIDER_CHOICES]
    if slug not in known_slugs:
        known = ", ".join(known_slugs)
        raise ValidationError(f"Unknown provider {slug!r}; use one of: {known}.", code="provider")
    return slug


@sensitive_variables("value")
def _replace(setting: Setting, value: str) -> Setting:
    cleaned = clean_value(setting.provider, value)
    if cleaned == _current_value(setting):
        return setting  # the value it already holds: no new version, nothing to record
    setting.value = cleaned
    setting.updated_by = tracking.acting_identity()[0]
    setting.save()
    return setting


def _version_row(setting: Setting, version: int, *, with_value: bool = False) -> SettingVersion:
    rows = setting.versions.all() if with_value else setting.versions.defer("value")
    try:
        return rows.get(version=version)
    except SettingVersion.DoesNotExist:
        raise VersionNotFound(_not_found(setting, version)) from None


def _not_found(setting: Setting, version: int) -> str:
    kept = list(setting.versions.order_by("version").values_list("version", flat=True))
    shown = f"versions {kept[0]} to {kept[-1]} are kept" if kept else "no versions are kept"
    return f"{setting.key} has no version {version} ({shown}; older ones were pruned)."


def _restorable(setting: Setting, version: int) -> SettingVersion:
    row = _version_row(setting, version, with_value=True)
    if row.is_destroyed or row.value is None:
        raise VersionDestroyed(
            f"Version {version} of {setting.key} was destroyed: its value is gone for good."
        )
    if row.version == setting.version or row.value == _current_value(setting):
        raise NothingToRestore(
            f"Version {version} of {setting.key} holds the current value already "
            f"(version {setting.version}); nothing to restore."
        )
    return row


def _current_value(setting: Setting) -> str | None:
    """The current plaintext, or None when the configured keys cannot read it."""
    value = setting.value
    return None if isinstance(value, UnreadableValue) else value


def _restore(
    setting: Setting, row: SettingVersion, verification: VerificationResult | None
) -> Setting:
    replaced = setting.version
    assert row.value is not None  # _restorable refuses destroyed versions
    setting.value = row.value
    setting.updated_by = tracking.acting_identity()[0]
    if verification is not None:
        setting.verification_status = verification.status
        setting.verification_detail = verification.detail[:255]
        setting.last_verified_at = timezone.now()
    else:
        setting.verification_status = row.verification_status
        setting.verification_detail = RESTORED_DETAIL.format(number=row.version)
        setting.last_verified_at = None
    tracking.mark_restoring(setting, row.version)
    setting.save()
    audit.record_as_current_actor(
        AuditAction.VERSION_RESTORED,
        setting_key=setting.key,
        from_version=replaced,
        restored_version=row.version,
        new_version=setting.version,
    )
    return setting
