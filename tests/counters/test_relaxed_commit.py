"""A relaxed commit skips the fsync wait for its own transaction only, never for one around it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from settings_app.counters.relaxed_commit import relaxed_commit


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


@pytest.mark.django_db(transaction=True)
def test_an_audit_event_is_never_committed_relaxed() -> None:
    from settings_app import audit
    from settings_app.counters.relaxed_commit import DurabilityRequired
    from settings_app.models import AuditEvent

    with pytest.raises(DurabilityRequired), relaxed_commit("default"):
        audit.record("token_created", token_name="relaxed")
    assert not AuditEvent.objects.exists()  # rolled back with its transaction


@pytest.mark.django_db(transaction=True)
def test_a_block_that_writes_an_event_runs_again_durably() -> None:
    from settings_app import audit
    from settings_app.counters.relaxed_commit import relaxed_unless_durable
    from settings_app.models import AuditEvent

    levels: list[str] = []

    def block() -> int:
        levels.append(_level())
        audit.record("token_created", token_name="retried")
        return 7

    assert relaxed_unless_durable("default", block) == 7
    assert levels[0] in {"off", "1"} and levels[1] in {"on", "2"}
    assert AuditEvent.objects.filter(details__token_name="retried").count() == 1
