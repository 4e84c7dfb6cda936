"""The reveal tests act as users in the keyvault roles, on a stored setting."""

from __future__ import annotations

import pytest

from tests.support.role_users import editor, key_admin, setting, superuser, viewer  # noqa: F401


@pytest.fixture
def password_reveals(settings) -> None:
    """The password path of the reveal form: a policy that asks no second factor of key admins,
    and a key admin who has none, confirms a reveal with their password."""
    settings.KEYVAULT_REQUIRE_2FA = "none"
