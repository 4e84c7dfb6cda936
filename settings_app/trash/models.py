"""DeletedSetting: the trashed settings, as the "Deleted keys" admin page lists them."""

from __future__ import annotations

from django.db import models

from ..fields import EncryptedQuerySet
from ..models import Setting


class TrashManager(models.Manager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> EncryptedQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=False)


class DeletedSetting(Setting):
    """A proxy of Setting over the rows in the trash (same table, same encrypted columns)."""

    objects = TrashManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ("-deleted_at",)
        verbose_name = "deleted key"
        verbose_name_plural = "deleted keys"
