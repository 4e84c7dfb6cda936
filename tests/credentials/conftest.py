"""Fixtures of structured-credential tests: the admin's leak-checking clients, stand-in servers."""

from __future__ import annotations

from tests.admin.conftest import admin_client, leak_log, superuser  # noqa: F401
from tests.api.conftest import make_token  # noqa: F401
