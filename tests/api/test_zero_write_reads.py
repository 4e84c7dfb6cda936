"""With Redis, a steady-state API read writes nothing to the database: the rate counter and the
audit repeat count live in Redis, and the count reaches the trail when its window is flushed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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
        "default": {
            "BACKEND": "settings_app.counters.redis_cache.SharedPoolRedisCache",
            "LOCATION": REDIS_DB9,
        }
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
def test_a_steady_read_is_one_redis_round_trip(stored, make_token, redis9, monkeypatch) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    keys = {"keys": "openai_api_key,anthropic_api_key,mistral_api_key"}
    client.get(OPENAI_URL)  # the windows open
    client.get(SETTINGS_URL, keys)
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    pool = cache._cache.get_client(write=True).connection_pool
    checkouts: list[object] = []
    get_connection = pool.get_connection

    def counted(*args: Any, **kwargs: Any) -> Any:
        checkouts.append(args)
        return get_connection(*args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", counted)
    for url, params in ((OPENAI_URL, {}), (SETTINGS_URL, keys)):
        checkouts.clear()
        assert client.get(url, params).status_code == 200
        assert len(checkouts) == 1, url  # the rate count and every repeat count, together


@pytest.mark.django_db
def test_a_read_whose_window_was_flushed_records_a_new_event(stored, make_token, redis9) -> None:
    client = bearer(make_token().secret)
    client.get(OPENAI_URL)
    client.get(OPENAI_URL)  # a repeat: counted in Redis with the rate
    flush_due(timezone.now() + timedelta(minutes=2))  # another worker closed the window
    assert client.get(OPENAI_URL).status_code == 200
    reads = AuditEvent.objects.filter(action=AuditAction.API_READ).order_by("sequence")
    assert [event.details.get("repeats") for event in reads] == [None, 1, None]


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


# --- the default database cache: one write transaction per read ----------------------------------

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")


class Transactions:
    """Every statement sent, grouped by the transaction it ran in (autocommit: its own)."""

    def __init__(self) -> None:
        self.statements: list[tuple[object, str]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        db = context["connection"]
        owner = db.atomic_blocks[0] if db.in_atomic_block else object()
        self.statements.append((owner, sql))
        return execute(sql, params, many, context)

    def writing(self) -> list[list[str]]:
        """The statements of each transaction that wrote something, in order."""
        groups: dict[int, list[str]] = {}
        owners: dict[int, object] = {}
        for owner, sql in self.statements:
            owners[id(owner)] = owner  # keeps it alive, so no id is reused
            groups.setdefault(id(owner), []).append(sql)
        return [sql for sql in groups.values() if any(_writes(s) for s in sql)]

    def relaxed_when(self, fragment: str) -> bool:
        """Whether the statement containing `fragment` ran in a relaxed commit."""
        level, relaxed_groups = "FULL", set()
        for owner, sql in self.statements:
            text = sql.upper()
            if text.startswith("PRAGMA SYNCHRONOUS="):
                level = text.partition("=")[2]
            if "SYNCHRONOUS_COMMIT TO OFF" in text:
                relaxed_groups.add(id(owner))
            if fragment in sql:
                return level in {"NORMAL", "1"} or id(owner) in relaxed_groups
        raise AssertionError(f"no statement contains {fragment!r}")


def _writes(sql: str) -> bool:
    return sql.lstrip().upper().startswith(WRITE_VERBS)


def transactions_of(
    client: Any, url: str, status: int = 200, headers: Any = None, **params: str
) -> Transactions:
    recorder = Transactions()
    with connection.execute_wrapper(recorder):
        response = client.get(url, params, headers=headers)
    assert response.status_code == status
    return recorder


@pytest.mark.django_db(transaction=True)
def test_a_steady_read_on_the_database_cache_commits_once(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    keys = {"keys": "openai_api_key,mistral_api_key"}
    client.get(OPENAI_URL)  # the token is known, the windows open
    client.get(SETTINGS_URL, keys)
    cases: list[tuple[str, dict[str, str]]] = [(OPENAI_URL, {}), (SETTINGS_URL, keys)]
    for url, params in cases:
        writing = transactions_of(client, url, 200, None, **params).writing()
        assert len(writing) == 1, writing  # the rate count and the audit repeats, together
        reads = len(params.get("keys", "x").split(","))
        assert sum(_writes(sql) for sql in writing[0]) == 1 + reads  # the counter, the repeats


@pytest.mark.django_db(transaction=True)
def test_a_read_without_a_value_commits_only_its_count(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    etag = client.get(OPENAI_URL)["ETag"]
    for recorder in (
        transactions_of(client, SETTINGS_URL + "missing_api_key", status=404),
        transactions_of(client, OPENAI_URL, status=304, headers={"If-None-Match": etag}),
    ):
        writing = recorder.writing()
        assert len(writing) == 1 and "ratelimitcounter" in " ".join(writing[0]).lower()


@pytest.mark.django_db(transaction=True)
def test_the_first_read_of_a_window_commits_once_and_durably(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    recorder = transactions_of(client, OPENAI_URL)
    writing = recorder.writing()
    assert len(writing) == 1, writing  # count, window and event: one durable transaction
    assert not recorder.relaxed_when('INSERT INTO "settings_app_auditevent"')
    assert AuditEvent.objects.filter(action=AuditAction.API_READ).count() == 1
