"""Fixtures for the command tests."""

from __future__ import annotations

import pytest

from settings_app.key_check.models import KeyCheck


@pytest.fixture
def empty_database(db: None) -> None:
    """A database with no data yet: `init_encryption --write` may create a key set."""
    KeyCheck.objects.all().delete()
