"""Retention: each setting keeps its current version and KEYVAULT_MAX_VERSIONS past ones.

Read at call time, so `override_settings` and a changed environment take effect at once.
Older versions are deleted (row and ciphertext) on the save that pushes them out.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import SettingVersion

DEFAULT_MAX_VERSIONS = 10
SETTING_NAME = "KEYVAULT_MAX_VERSIONS"


def max_versions() -> int:
    """How many past versions each setting keeps (besides its current one)."""
    value = getattr(settings, SETTING_NAME, DEFAULT_MAX_VERSIONS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            f"{SETTING_NAME} is the number of past versions kept per setting: a whole number, "
            f"0 or more (default {DEFAULT_MAX_VERSIONS}); it is {value!r}."
        )
    return value


def prune(setting_id: int, newest: int, *, using: str = "default") -> int:
    """Delete the versions of a setting older than its `max_versions()` past ones; how many."""
    oldest_kept = newest - max_versions()
    if oldest_kept <= 1:
        return 0  # nothing can be older: no query
    deleted, _ = (
        SettingVersion.objects.using(using)
        .filter(setting_id=setting_id, version__lt=oldest_kept)
        .delete()
    )
    return deleted
