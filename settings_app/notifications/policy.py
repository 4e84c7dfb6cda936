"""The reminder policy: rotation and verification ages, read from settings at call time.

Nothing is cached, so `override_settings` (and a changed environment after a restart) always
applies. `manage.py check` reports a bad value (keyvault.E301) before any command runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from ..models import Setting

MAX_KEY_AGE = "KEYVAULT_MAX_KEY_AGE_DAYS"
VERIFY_MAX_AGE = "KEYVAULT_VERIFY_MAX_AGE_DAYS"


@dataclass(frozen=True)
class Policy:
    """How old a key, and its last verification, may get (0 days: no limit)."""

    max_key_age_days: int = 0
    verify_max_age_days: int = 0

    @classmethod
    def current(cls) -> Policy:
        """The policy configured now."""
        return cls(configured_days(MAX_KEY_AGE), configured_days(VERIFY_MAX_AGE))

    def rotation_days(self, setting: Setting) -> int | None:
        """How often `setting` must be rotated: its own period, else the global one; None: never."""
        own = setting.rotate_every_days
        days = self.max_key_age_days if own is None else own
        return days or None


def configured_days(name: str) -> int:
    """A whole number of days (0 or more) from settings, or an error naming the setting."""
    value = getattr(settings, name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of days, 0 or more (0 turns the rule off); "
            f"it is {value!r}."
        )
    return value
