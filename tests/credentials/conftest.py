"""Fixtures of structured-credential tests: the admin's leak-checking clients, stand-in servers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.conftest import admin_client, leak_log, superuser  # noqa: F401
from tests.api.conftest import make_token  # noqa: F401
from tests.support.cloud_standins import Standins


@pytest.fixture
def standins(settings: Any) -> Iterator[Standins]:
    """Running stand-in servers, with every structured provider's base URL pointed at them."""
    with Standins.running() as servers:
        servers.point(settings)
        yield servers
