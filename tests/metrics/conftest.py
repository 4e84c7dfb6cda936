"""Metric readings: counters are process-wide, so tests compare before and after."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from tests.api.conftest import make_token, stored  # noqa: F401  (fixtures)
from tests.support.role_users import key_admin, setting  # noqa: F401  (fixtures)

Sample = Callable[..., float]


def sample(name: str, **labels: str) -> float:
    """The current value of one sample (0 when it was never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def delta() -> Callable[..., Callable[[], float]]:
    """`grew = delta(name, **labels)`, then `grew()` is how much it rose since."""

    def start(name: str, **labels: str) -> Callable[[], float]:
        before = sample(name, **labels)
        return lambda: sample(name, **labels) - before

    return start
