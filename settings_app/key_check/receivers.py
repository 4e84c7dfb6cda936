"""After `migrate`, write the key-check record if there is none and the keys are configured."""

from __future__ import annotations

import contextlib
from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from ..crypto import EncryptionError
from .service import ensure_key_check


@receiver(post_migrate)
def write_key_check_after_migrate(
    sender: AppConfig, using: str = "default", apps: Apps | None = None, **kwargs: Any
) -> None:
    if sender.name != "settings_app":
        return
    if apps is not None:
        try:
            apps.get_model("settings_app", "KeyCheck")
        except LookupError:
            return  # migrated to a state from before the record existed
    # Keys not configured yet (migrate may run before they are): reencrypt writes it later.
    with contextlib.suppress(EncryptionError):
        ensure_key_check(using)
