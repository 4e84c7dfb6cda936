"""App configuration: wires the system checks, the key-set cache reset, the idle-session clock
and the receivers of the audit trail and the key-check record.

The admin pages (the Setting admin and, through it, the audit trail's) are registered by
Django's admin autodiscovery, which imports `settings_app/admin.py`.
"""

from __future__ import annotations

from django.apps import AppConfig


class SettingsAppConfig(AppConfig):
    name = "settings_app"
    verbose_name = "Key vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing them connects the system checks and the signal receivers.
        from . import checks  # noqa: F401
        from .api import checks as api_checks  # noqa: F401
        from .audit import receivers  # noqa: F401
        from .encryption import keyring  # noqa: F401  (resets the key-set cache on setting_changed)
        from .key_check import checks as key_check_checks  # noqa: F401
        from .key_check import receivers as key_check_receivers  # noqa: F401
        from .notifications import checks as notification_checks  # noqa: F401
        from .request_context import idle_sessions  # noqa: F401  (starts the idle clock on sign-in)
        from .trash import checks as trash_checks  # noqa: F401
        from .twofactor import checks as twofactor_checks  # noqa: F401
        from .twofactor import lockout  # noqa: F401  (wrong codes count like wrong passwords)
        from .versions import checks as version_checks  # noqa: F401
        from .versions import tracking  # noqa: F401  (every value change becomes a version)
