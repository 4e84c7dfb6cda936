"""The HMAC chain: intact trails verify; edited, deleted or re-forged events are named."""

from __future__ import annotations

import hashlib
import io
import threading
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent
from tests.conftest import run_manage
from tests.support.cpu_load import busy_cpus
from tests.support.keys import sqlite_env
from tests.support.processes import database_env, run_together, shell

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


def record_events(count: int) -> list[AuditEvent]:
    return [
        audit.record(
            AuditAction.UPDATED,
            setting_key=f"key_{n}",
            actor_label="manage.py reencrypt",
            source="command",
            fields=["description", "expires_at"],
            note="Schlüssel für Kunde Ω",  # non-ASCII must survive the database round trip
            ratio=0.1 + 0.2,
            count=n,
            dry_run=False,
        )
        for n in range(count)
    ]


def raw_sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_empty_trail_is_ok() -> None:
    report = audit.verify_chain()
    assert (report.ok, report.checked) == (True, 0)
    assert report.message == "Audit trail OK: 0 events, chain intact."


def test_an_intact_trail_verifies_and_reports_its_head() -> None:
    events = record_events(5)
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.head_hash) == (True, 5, events[-1].hash)
    assert events[0].previous_hash == ""
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]


@pytest.mark.parametrize(
    ("column", "forged"),
    [
        ("setting_key", "anthropic_api_key"),
        ("actor_label", "someone_else"),
        ("action", AuditAction.VERIFIED),
        ("details", '{"count": 99}'),
        ("created_at", "2020-01-01 00:00:00+00:00"),
        ("ip", "198.51.100.1"),
    ],
)
def test_an_edited_row_is_named(column: str, forged: str) -> None:
    events = record_events(4)
    raw_sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [forged, events[2].pk])
    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id, report.checked) == (False, events[2].pk, 2)
    assert "edited" in report.message


def test_a_deleted_row_is_named_by_its_successor() -> None:
    events = record_events(4)
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])
    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id) == (False, events[2].pk)
    assert f"sequence 2 are missing after event {events[0].pk}" in report.problem
    assert "deleted" in report.problem


def test_deleting_the_first_event_is_detected() -> None:
    events = record_events(3)
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[0].pk])
    report = audit.verify_chain()
    assert report.broken_event_id == events[1].pk
    assert "start of the trail" in report.problem


@pytest.mark.parametrize(
    "forge",
    [
        lambda event: hashlib.sha256(audit.canonical_payload(event)).hexdigest(),
        lambda event: audit.compute_hash(event, secret="a guessed secret key"),
    ],
    ids=["plain-sha256", "wrong-secret"],
)
def test_an_attacker_who_rewrites_the_rest_of_the_chain_is_still_caught(forge) -> None:
    """A database-only attacker edits a row and recomputes every hash after it."""
    events = record_events(4)
    previous_hash = events[0].hash
    for event in events[1:]:
        event = AuditEvent.objects.get(pk=event.pk)
        if event.pk == events[1].pk:
            event.setting_key = "covered_up"
        event.previous_hash = previous_hash
        event.hash = forge(event)
        raw_sql(
            f"UPDATE {TABLE} SET setting_key = %s, previous_hash = %s, hash = %s WHERE id = %s",
            [event.setting_key, event.previous_hash, event.hash, event.pk],
        )
        previous_hash = event.hash
    assert audit.verify_chain().broken_event_id == events[1].pk


def test_a_rotated_secret_key_verifies_only_while_it_is_a_fallback(settings) -> None:
    record_events(2)
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    record_events(1)
    assert audit.verify_chain().ok
    settings.SECRET_KEY_FALLBACKS = []
    assert not audit.verify_chain().ok


def test_verify_audit_command_reports_ok_with_the_count() -> None:
    record_events(3)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit trail OK: 3 events" in out.getvalue()


def test_verify_audit_command_fails_naming_the_broken_event() -> None:
    events = record_events(3)
    raw_sql(f"UPDATE {TABLE} SET setting_key = %s WHERE id = %s", ["x", events[1].pk])
    with pytest.raises(CommandError, match=f"BROKEN at event {events[1].pk}"):
        call_command("verify_audit", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers by itself; the race needs PostgreSQL")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                audit.record(AuditAction.VERIFIED, setting_key="openai_api_key")
        except BaseException as error:  # surfaced below; a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit.verify_chain()
    assert (report.ok, report.checked) == (True, 40)


CONCURRENT_WRITERS = """
import threading
from django.db import connection
from settings_app import audit
from settings_app.models import AuditEvent
failures = []
def write(n):
    try:
        for i in range(20):
            audit.record("verified", setting_key=f"k{n}-{i}")
    except Exception as error:
        failures.append(type(error).__name__)
    finally:
        connection.close()
threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
print(AuditEvent.objects.count(), len(failures), audit.verify_chain().ok)
"""


@pytest.mark.slow
def test_concurrent_audit_writers_all_land_on_sqlite(tmp_path, race_rounds: int) -> None:
    """Six threads write 20 events each while two CPU-bound processes keep the machine busy
    (`--race-rounds 20` repeats it): none fails with "database is locked"."""
    env = sqlite_env(tmp_path / "audit.sqlite3")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    with busy_cpus():
        for done in range(1, race_rounds + 1):
            result = run_manage("shell", "-c", CONCURRENT_WRITERS, env=env)
            assert result.stdout.split()[-3:] == [str(120 * done), "0", "True"], result.stderr


WRITE_IN_PARALLEL = """
from settings_app import audit
from tests.support.processes import start_line, worker_number
start_line()
for i in range(25):
    audit.record("verified", setting_key=f"process{worker_number()}-{i}")
"""
CHAIN_SUMMARY = """
from settings_app import audit
from settings_app.models import AuditEvent
report = audit.verify_chain()
sequences = sorted(AuditEvent.objects.values_list("sequence", flat=True))
print(report.ok, report.checked, sequences == list(range(1, len(sequences) + 1)))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_writers_in_several_processes_keep_one_chain(tmp_path) -> None:
    """Four processes (as gunicorn workers would) append at once: one chain, no gap, no fork."""
    env = database_env(tmp_path)
    run_together(WRITE_IN_PARALLEL, env, count=4, tmp_path=tmp_path)
    assert shell(CHAIN_SUMMARY, env).split()[-3:] == ["True", "100", "True"]
