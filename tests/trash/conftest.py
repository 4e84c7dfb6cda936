from __future__ import annotations

from tests.support.role_users import editor, key_admin, setting, superuser, viewer  # noqa: F401
