"""The hot path's shortcuts keep their promises: raw lookups decrypt like the ORM, relaxed
commits relax only themselves, and the ORM counter path counts like the upsert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from settings_app.api import counters
from settings_app.api.lookup import first_where
from settings_app.api.models import RateLimitCounter
from settings_app.models import Setting
from settings_app.relaxed_commit import relaxed_commit
from tests.api.conftest import OPENAI_VALUE


@pytest.mark.django_db
def test_a_raw_lookup_decrypts_like_the_orm(stored) -> None:
    found = first_where(Setting, "key", ["openai_api_key"], ["key", "value", "version"])
    assert found is not None and found.value == OPENAI_VALUE and found.version == 1
    other = first_where(Setting, "key", ["missing", "mistral_api_key"])
    assert other is not None and other.key == "mistral_api_key"
    assert first_where(Setting, "key", ["missing"]) is None


@pytest.mark.django_db
def test_a_raw_lookup_treats_its_values_as_data(stored) -> None:
    assert first_where(Setting, "key", ["x' OR '1'='1"]) is None


def _level() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
        else:
            cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_relaxed_commit_relaxes_only_its_own_transaction() -> None:
    before = _level()
    with relaxed_commit("default"):
        inside = _level()
    assert inside in {"off", "1"}  # PostgreSQL: synchronous_commit off; SQLite: NORMAL
    assert _level() == before and before in {"on", "2"}


@pytest.mark.django_db(transaction=True)
def test_inside_another_transaction_nothing_is_relaxed() -> None:
    with transaction.atomic():
        before = _level()
        with relaxed_commit("default"):
            assert _level() == before
        assert _level() == before  # an audit event written later stays fully durable


@pytest.mark.django_db
def test_the_orm_counter_path_counts_like_the_upsert() -> None:
    expires = timezone.now() + timedelta(minutes=1)
    assert [counters._update_or_create("default", "orm", expires) for _ in range(3)] == [1, 2, 3]
    assert [counters._upsert("default", "sql", expires) for _ in range(3)] == [1, 2, 3]
    assert dict(RateLimitCounter.objects.values_list("key", "count")) == {"orm": 3, "sql": 3}
