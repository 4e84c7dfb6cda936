"""Two writers with the same expected version: exactly one wins, on PostgreSQL and SQLite.

PostgreSQL: threads, each with its own connection, start together; a slowed save holds the row
lock so the others really wait on it. SQLite: the same race in a `manage.py shell` subprocess
on a database file, where the settings begin every transaction IMMEDIATE.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models.signals import pre_save

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.conftest import run_manage
from tests.support.keys import sqlite_env
from tests.versions.conftest import KEY, new_key

WRITERS = 6


def race(write: Callable[[int], object]) -> tuple[list[int], list[str]]:
    """Run `write(n)` in WRITERS threads at once; (winners, names of the errors of losers)."""
    barrier = threading.Barrier(WRITERS)
    winners: list[int] = []
    errors: list[str] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            write(n)
            winners.append(n)
        except BaseException as error:  # collected: a thread's exception is otherwise lost
            errors.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners, errors


@pytest.fixture
def slow_saves():
    """Each save holds its row lock a little longer, so every writer meets a held lock."""

    def linger(**kwargs: object) -> None:
        time.sleep(0.05)

    pre_save.connect(linger, sender=Setting, dispatch_uid="test-linger")
    yield
    pre_save.disconnect(sender=Setting, dispatch_uid="test-linger")


@pytest.fixture
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs the subprocess test below")


@pytest.mark.django_db(transaction=True)
def test_one_of_many_writers_expecting_the_same_version_wins_on_postgresql(
    postgresql_only, slow_saves
) -> None:
    Setting.objects.set_value(KEY, new_key())
    values = [new_key() for _ in range(WRITERS)]

    winners, errors = race(lambda n: Setting.objects.set_value(KEY, values[n], expected_version=1))

    assert len(winners) == 1 and errors == ["VersionConflict"] * (WRITERS - 1)
    setting = Setting.objects.get(key=KEY)
    assert (setting.version, setting.value) == (2, values[winners[0]])
    assert setting.versions.count() == 2
    refused = AuditEvent.objects.filter(action=AuditAction.STALE_WRITE_REFUSED).count()
    assert refused == WRITERS - 1
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_one_of_many_creators_wins_on_postgresql(postgresql_only, slow_saves) -> None:
    values = [new_key() for _ in range(WRITERS)]

    winners, errors = race(lambda n: Setting.objects.set_value(KEY, values[n], expected_version=0))

    assert len(winners) == 1 and errors == ["VersionConflict"] * (WRITERS - 1)
    setting = Setting.objects.get(key=KEY)
    assert (setting.version, setting.value, setting.versions.count()) == (1, values[winners[0]], 1)


@pytest.mark.django_db(transaction=True)
def test_plain_saves_of_stale_instances_never_share_a_number_on_postgresql(
    postgresql_only, slow_saves
) -> None:
    Setting.objects.set_value(KEY, new_key())

    def save(n: int) -> None:
        setting = Setting.objects.get(key=KEY)  # every writer loads version 1
        setting.value = new_key()
        setting.save()

    winners, errors = race(save)

    assert (len(winners), errors) == (WRITERS, [])  # last writer wins, as plain saves do...
    setting = Setting.objects.get(key=KEY)
    numbers = list(setting.versions.order_by("version").values_list("version", flat=True))
    assert numbers == list(range(1, WRITERS + 2))  # ...and every value is a version


SQLITE_RACE = f"""
import threading
from django.db import connection
from settings_app.models import AuditEvent, Setting
from settings_app.versions import VersionConflict

def race():
    Setting.objects.set_value("{KEY}", "sk-proj-first-value-0000000000")
    barrier = threading.Barrier({WRITERS})
    outcomes = []

    def write(n):
        try:
            barrier.wait()
            value = f"sk-proj-writer-{{n}}-000000000000"
            Setting.objects.set_value("{KEY}", value, expected_version=1)
            outcomes.append("won")
        except VersionConflict:
            outcomes.append("conflict")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range({WRITERS})]
    [t.start() for t in threads]
    [t.join() for t in threads]
    setting = Setting.objects.get(key="{KEY}")
    refused = AuditEvent.objects.filter(action="stale_write_refused").count()
    print(sorted(outcomes))
    print(outcomes.count("won"), outcomes.count("conflict"), setting.version,
          setting.versions.count(), refused)

race()
"""


@pytest.mark.slow
def test_one_of_many_writers_expecting_the_same_version_wins_on_sqlite(tmp_path) -> None:
    env = sqlite_env(tmp_path / "race.sqlite3")
    env["DATABASE_URL"] += "?timeout=60"  # a loaded CI machine must not turn waits into errors
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    result = run_manage("shell", "-c", SQLITE_RACE, env=env)
    assert result.returncode == 0, result.stderr
    won, conflicts, version, versions, refused = map(int, result.stdout.split()[-5:])
    assert (won, conflicts) == (1, WRITERS - 1), result.stdout
    assert (version, versions, refused) == (2, 2, WRITERS - 1)
