"""Who must sign in with a second factor (KEYVAULT_REQUIRE_2FA), read at call time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_otp import devices_for_user

NONE = "none"
KEY_ADMINS = "key_admins"
ALL = "all"
POLICIES = (NONE, KEY_ADMINS, ALL)
# Those who may see plaintexts: the key admins group holds it, superusers hold every permission.
KEY_ADMIN_PERMISSION = "settings_app.reveal_setting"


def current_policy() -> str:
    """The configured policy; an unknown value counts as "all" (check E025 reports it)."""
    value = str(getattr(settings, "KEYVAULT_REQUIRE_2FA", KEY_ADMINS)).strip().lower()
    return value if value in POLICIES else ALL


def is_key_admin(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(KEY_ADMIN_PERMISSION)))


def must_enrol(user: Any) -> bool:
    """Whether the policy requires `user` to have a second factor."""
    policy = current_policy()
    return policy == ALL or (policy == KEY_ADMINS and is_key_admin(user))


def has_device(user: Any) -> bool:
    """Whether `user` has a confirmed device (an authenticator app or recovery codes)."""
    return any(True for _ in devices_for_user(user, confirmed=True))


def needs_second_factor(user: Any) -> bool:
    """Required by the policy, or chosen by the user: either way their password is not enough."""
    return bool(user.is_authenticated) and (must_enrol(user) or has_device(user))


def step_up_seconds() -> int:
    return int(getattr(settings, "KEYVAULT_STEP_UP_SECONDS", 300))
