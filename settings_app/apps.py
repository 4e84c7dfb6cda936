"""App configuration: wires the system checks and the key-set cache reset."""

from __future__ import annotations

from django.apps import AppConfig


class SettingsAppConfig(AppConfig):
    name = "settings_app"
    verbose_name = "Key vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, keyring, receivers  # noqa: F401  (checks and signal receivers)
        from .api import checks as api_checks  # noqa: F401
