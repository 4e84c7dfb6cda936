"""Every change of a setting's value becomes a version, whatever path saved it.

Receivers on Setting's signals, so the admin, the services and plain ORM code
(`setting.value = ...; setting.save()`) are all covered:
- `post_init` remembers the value an instance was loaded with;
- `pre_save` numbers a new version when the value differs from the stored one (1 for a new
  setting), stamps `value_changed_at` (the key's age counts from it), and resets the
  verification status, which belonged to the old value;
- `post_save` inserts the version row (the one extra INSERT of a save) and prunes past
  retention; a verification outcome is copied to the current version's row.
`Setting.save()` runs the save, these receivers and the audit event in one transaction.

Bulk writes (`QuerySet.update`, `bulk_update`, `bulk_create`) send no signals: they create no
version, as they refresh no blind index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import DEFERRED
from django.db.models.signals import post_init, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .. import audit
from ..credentials.masks import value_mask
from ..encryption.unreadable import UnreadableValue
from ..models import Setting, VerificationStatus
from . import retention
from .models import MASK_MAX_LENGTH, SettingVersion

CODE_LABEL = "code"  # who wrote a version when no user or command is acting

# Per-instance state, kept in the instance's __dict__ (never in repr or pickled forms).
_LOADED_VALUE = "_versions_loaded_value"  # the value as loaded from the database, or DEFERRED
_FRESH = "_versions_fresh"  # `version` was read under a row lock in the current transaction
_NEW_VERSION = "_versions_new"  # the number the running save creates, or None
_RESTORING = "_versions_restoring"  # the number of the version the running save restores

# What Setting.record_verification() saves; a new value resets it.
VERIFICATION_FIELDS = Setting.VERIFICATION_FIELDS
# Saved along with the value whenever it changes.
_SAVED_WITH_VALUE = frozenset(
    {
        "value_fingerprint",
        "secret_fingerprints",
        "version",
        "updated_at",
        "value_changed_at",
        *VERIFICATION_FIELDS,
    }
)


def fields_saved_with(update_fields: Iterable[str]) -> frozenset[str]:
    """`update_fields` widened so that a new value is saved with its version and fingerprints."""
    fields = frozenset(update_fields)
    return fields | _SAVED_WITH_VALUE if "value" in fields else fields


def mark_fresh(setting: Setting) -> Setting:
    """Note that `setting` was just read under a row lock: its version needs no second read."""
    setting.__dict__[_FRESH] = True
    return setting


def mark_restoring(setting: Setting, version: int) -> None:
    """The next save restores `version`: keep the verification status the caller set."""
    setting.__dict__[_RESTORING] = version


def created_version(setting: Setting) -> int | None:
    """The version number the last save of `setting` created, or None."""
    number: int | None = setting.__dict__.get(_NEW_VERSION)
    return number


def audit_details(setting: Setting) -> dict[str, int]:
    """What the audit event of a save says about versions: the number it created, if any."""
    number = created_version(setting)
    return {} if number is None else {"version": number}


def acting_identity() -> tuple[AbstractBaseUser | None, str]:
    """Who is acting, as (user or None, label): a username, a command, or "code"."""
    actor = audit.current_actor()
    user = actor.user
    request_user = getattr(actor.request, "user", None)
    if user is None and request_user is not None and request_user.is_authenticated:
        user = request_user
    label = actor.label or (user.get_username() if user is not None else "")
    return user, label or CODE_LABEL


# --- receivers --------------------------------------------------------------------------------


@receiver(post_init, sender=Setting, dispatch_uid="versions.remember_loaded_value")
def remember_loaded_value(sender: type[Setting], instance: Setting, **kwargs: Any) -> None:
    instance.__dict__[_LOADED_VALUE] = instance.__dict__.get("value", DEFERRED)


@receiver(pre_save, sender=Setting, dispatch_uid="versions.number_new_version")
def number_new_version(
    sender: type[Setting],
    instance: Setting,
    raw: bool,
    using: str,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    instance.__dict__[_NEW_VERSION] = None
    if raw or (update_fields is not None and "value" not in update_fields):
        return  # fixtures load versions of their own; this save leaves the value alone
    if instance._state.adding:
        instance.version = 1
    else:
        current = _version_before_change(instance, using)
        if current is None:
            return
        instance.version = current + 1
        if _RESTORING not in instance.__dict__:
            _reset_verification(instance)
    instance.__dict__[_NEW_VERSION] = instance.version
    # The key's age (reminders) counts from here: the version's own creation time.
    instance.value_changed_at = timezone.now()


@receiver(post_save, sender=Setting, dispatch_uid="versions.store_new_version")
def store_new_version(
    sender: type[Setting],
    instance: Setting,
    using: str,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    number = created_version(instance)
    if number is None:
        if update_fields and "verification_status" in update_fields:
            _copy_verification(instance, using)
        return
    user, label = acting_identity()
    SettingVersion.objects.using(using).create(
        setting=instance,
        version=number,
        value=instance.value,
        mask=value_mask(instance.value, instance.provider)[:MASK_MAX_LENGTH],
        created_at=instance.value_changed_at,
        created_by=user,
        created_by_label=label,
        verification_status=instance.verification_status,
        restored_from=instance.__dict__.pop(_RESTORING, None),
    )
    retention.prune(instance.pk, number, using=using)
    instance.__dict__[_LOADED_VALUE] = instance.value


# --- helpers ----------------------------------------------------------------------------------


def _version_before_change(instance: Setting, using: str) -> int | None:
    """The stored version when the value being saved differs from the stored one, else None.

    An instance loaded under a lock (services, admin) knows both already. Otherwise the row is
    locked and read here, so two plain saves never take the same number.
    """
    loaded = instance.__dict__.get(_LOADED_VALUE, DEFERRED)
    if loaded is not DEFERRED and loaded == instance.value:
        return None
    if instance.__dict__.get(_FRESH):
        return instance.version
    version, stored = _locked_row(instance, using)
    if stored is not DEFERRED and stored == instance.value:
        return None
    return version


def _locked_row(instance: Setting, using: str) -> tuple[int, Any]:
    """(version, plaintext) of the stored row, locked; the plaintext is DEFERRED if unreadable."""
    rows = Setting._base_manager.using(using).select_for_update(of=("self",))
    rows = rows.filter(pk=instance.pk)
    found = rows.values_list("version", "value").first()
    if found is None:
        return instance.version, DEFERRED  # deleted meanwhile: the save itself will say so
    version, stored = found
    return version, DEFERRED if isinstance(stored, UnreadableValue) else stored


def _reset_verification(instance: Setting) -> None:
    """A new value starts unverified: the old status described the old value."""
    instance.verification_status = VerificationStatus.UNVERIFIED
    instance.verification_detail = ""
    instance.last_verified_at = None


def _copy_verification(instance: Setting, using: str) -> None:
    """A verification describes the current value, which is also the newest version."""
    SettingVersion.objects.using(using).filter(
        setting_id=instance.pk, version=instance.version
    ).update(verification_status=instance.verification_status)
