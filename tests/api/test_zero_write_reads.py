"""With Redis, a steady-state API read writes nothing to the database: the rate counter and the
audit repeat count live in Redis, and the count reaches the trail when its window is flushed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settings_app.audit.coalescing import CoalescedWindow, flush_due
from settings_app.models import AuditAction, AuditEvent
from tests.api.conftest import OPENAI_VALUE, SETTINGS_URL, bearer

OPENAI_URL = SETTINGS_URL + "openai_api_key"
REDIS_DB9 = "redis://127.0.0.1:6379/9"
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN", "SAVEPOINT", "PRAGMA")


@pytest.fixture
def redis9(settings: Any) -> Iterator[None]:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_DB9}
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


def statements(client: Any, url: str, **params: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_a_steady_read_is_two_selects_and_no_write(stored, make_token, redis9) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    client.get(OPENAI_URL)  # the token is known, the window opens (its first event is written)
    client.get(SETTINGS_URL, {"keys": "openai_api_key"})
    for url, params in ((OPENAI_URL, {}), (SETTINGS_URL, {"keys": "openai_api_key"})):
        sql = statements(client, url, **params)
        assert len(sql) <= 2, sql
        assert not [s for s in sql if s.lstrip().upper().startswith(WRITES)], sql


@pytest.mark.django_db
def test_the_repeats_counted_in_redis_reach_the_trail_when_the_window_closes(
    stored, make_token, redis9
) -> None:
    client = bearer(make_token().secret)
    for _ in range(5):
        assert client.get(OPENAI_URL).json()["value"] == OPENAI_VALUE
    assert CoalescedWindow.objects.get().repeats == 0  # counted in Redis, not in the row
    flush_due(timezone.now() + timedelta(minutes=2))
    reads = AuditEvent.objects.filter(action=AuditAction.API_READ).order_by("sequence")
    assert [event.details.get("repeats") for event in reads] == [None, 4]
    assert not CoalescedWindow.objects.exists()
