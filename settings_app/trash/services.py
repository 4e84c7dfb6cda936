"""Move a setting to the trash, restore it, purge it: each with its audit event, atomically."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, router, transaction
from django.utils import timezone

from .. import audit
from ..audit.models import AuditAction
from ..lookups import values as value_cache

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..models import Setting


class KeyInTrashError(ValidationError):
    """A new setting was given the key of one in the trash; the message names the restore."""


def trash_days() -> int:
    """KEYVAULT_TRASH_DAYS, read at call time (default 30)."""
    days = getattr(settings, "KEYVAULT_TRASH_DAYS", 30)
    if not isinstance(days, int) or days < 0:
        raise ImproperlyConfigured(
            f"KEYVAULT_TRASH_DAYS must be a whole number of days (0 or more); got {days!r}."
        )
    return days


def move_to_trash(setting: Setting, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete `setting` the undoable way: it and its versions stay, hidden, for
    KEYVAULT_TRASH_DAYS; audited as `deleted`. What every delete of a setting does."""
    using = router.db_for_write(type(setting), instance=setting)
    with _acting_as(actor), transaction.atomic(using=using):
        setting.deleted_at = timezone.now()
        _rows(setting).update(deleted_at=setting.deleted_at)
        audit.record_as_current_actor(
            AuditAction.DELETED,
            setting_key=setting.key,
            trash_days=trash_days(),
            **setting.audit_details(),
        )
        value_cache.invalidate(setting.key, using=using)


def restore(setting: Setting, *, actor: AbstractBaseUser | None = None) -> None:
    """Bring `setting` back from the trash, value and versions as they were; audited."""
    using = router.db_for_write(type(setting), instance=setting)
    with _acting_as(actor), transaction.atomic(using=using):
        _rows(setting).update(deleted_at=None)
        setting.deleted_at = None
        audit.record_as_current_actor(
            AuditAction.RESTORED_FROM_TRASH, setting_key=setting.key, **setting.audit_details()
        )
        value_cache.invalidate(setting.key, using=using)


def purge(setting: Setting, *, actor: AbstractBaseUser | None = None) -> None:
    """Destroy a trashed setting and its versions for good (audited as `purged`)."""
    if setting.deleted_at is None:
        raise ValueError(f"{setting.key} is not in the trash: delete it first.")
    with _acting_as(actor):
        _concrete(setting).purge()


def purge_expired(now: datetime | None = None) -> list[str]:
    """Purge what has been in the trash longer than KEYVAULT_TRASH_DAYS; the keys purged."""
    from .models import DeletedSetting

    cutoff = (now or timezone.now()) - timedelta(days=trash_days())
    purged = []
    for setting in DeletedSetting.objects.filter(deleted_at__lt=cutoff).order_by("key"):
        _concrete(setting).purge()
        purged.append(setting.key)
    return purged


def refuse_trashed_key(setting: Setting) -> None:
    """KeyInTrashError if a new setting would take the key of one in the trash."""
    from ..models import Setting

    trashed = Setting._base_manager.filter(key=setting.key, deleted_at__isnull=False)
    if setting.key and trashed.exclude(pk=setting.pk).exists():
        raise KeyInTrashError(
            {
                "key": f"{setting.key} is in the trash (Deleted keys). Restore it there to use it "
                "again, or purge it first to create a new key under this name."
            },
            code="key_in_trash",
        )


def _concrete(setting: Setting) -> Setting:
    """The row as a Setting: delete signals (audit, value cache) name the concrete model, not
    the DeletedSetting proxy."""
    from ..models import Setting

    if type(setting) is Setting:
        return setting
    return Setting._base_manager.get(pk=setting.pk)


def _rows(setting: Setting) -> models.QuerySet[Any]:
    return type(setting)._base_manager.filter(pk=setting.pk)


@contextmanager
def _acting_as(actor: AbstractBaseUser | None) -> Iterator[None]:
    """Attribute what happens inside to `actor`, keeping the current source and request."""
    if actor is None:
        yield
        return
    current = audit.current_actor()
    with audit.acting(current.source, user=actor, request=current.request, **current.details):
        yield
