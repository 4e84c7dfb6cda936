"""After `migrate`, write the key-check record if there is none and the keys are configured."""

from __future__ import annotations

import contextlib
from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from ..crypto import EncryptionError
from .models import KeyCheck
from .service import ensure_key_check


@receiver(post_migrate)
def write_key_check_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    if sender.name != "settings_app":
        return
    # Migrated back to before the record (`flush` sends post_migrate too): nothing to write to.
    if KeyCheck._meta.db_table not in connections[using].introspection.table_names():
        return
    # Keys not configured yet (migrate may run before they are): reencrypt writes it later.
    with contextlib.suppress(EncryptionError):
        ensure_key_check(using)
