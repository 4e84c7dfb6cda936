"""Coalesced audit: the first read of a key per token per minute is an event at once; repeats
become one summary event when a later window opens, or when due windows are flushed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections

from settings_app import audit
from settings_app.audit import coalescing as audit_coalescing
from settings_app.audit.coalescing import flush_due, record_coalesced
from settings_app.audit.models import CoalescedWindow
from settings_app.models import AuditEvent
from tests.api.conftest import OPENAI_VALUE, SETTINGS_URL, bearer

# Tomorrow, 5 seconds into a minute: tokens made today are valid then.
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(second=5, microsecond=0)
OPENAI_URL = SETTINGS_URL + "openai_api_key"


def api_reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="api_read").order_by("id"))


def read_at(client, moment: datetime, url: str = OPENAI_URL) -> None:
    with time_machine.travel(moment, tick=False):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_first_read_is_recorded_at_once_with_token_key_version_and_ip(
    stored, make_token
) -> None:
    client = bearer(make_token(name="billing-worker").secret, REMOTE_ADDR="198.51.100.4")
    read_at(client, T0)
    [event] = api_reads()
    assert event.setting_key == "openai_api_key"
    assert event.source == "api" and event.actor_label == "service token billing-worker"
    assert event.ip == "198.51.100.4"
    details = dict(event.details)
    assert uuid.UUID(details.pop("request_id"))  # the request's id, as in its log lines
    assert details == {
        "token_name": "billing-worker",
        "version": 1,
        "client_ip": "198.51.100.4",
    }


@pytest.mark.django_db
def test_repeats_in_a_minute_become_one_summary_when_the_next_minute_opens(
    stored, make_token
) -> None:
    client = bearer(make_token(name="busy").secret)
    for second in range(0, 50, 5):  # 10 reads in the first minute
        read_at(client, T0 + timedelta(seconds=second))
    assert len(api_reads()) == 1  # the trail is not flooded
    read_at(client, T0 + timedelta(minutes=1))
    first, summary, next_first = api_reads()
    assert "repeats" not in first.details
    assert summary.details["repeats"] == 9
    assert summary.details["token_name"] == "busy" and summary.setting_key == "openai_api_key"
    assert summary.details["window_start"] == T0.replace(second=0).isoformat()
    assert summary.details["last_repeat_at"] == (T0 + timedelta(seconds=45)).isoformat()
    assert "repeats" not in next_first.details
    assert audit.verify_chain().ok  # appended, never edited


@pytest.mark.django_db
def test_each_token_and_key_is_coalesced_separately(stored, make_token) -> None:
    one, two = bearer(make_token(["*"]).secret), bearer(make_token(["*"]).secret)
    for client in (one, two, one, two):
        read_at(client, T0)
        read_at(client, T0, SETTINGS_URL + "mistral_api_key")
    assert len(api_reads()) == 4  # (2 tokens) x (2 keys), repeats counted
    assert sorted(w.repeats for w in CoalescedWindow.objects.all()) == [1, 1, 1, 1]


@pytest.mark.django_db
def test_a_listing_records_each_setting_it_returns(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    read_at(client, T0, SETTINGS_URL)
    assert sorted(e.setting_key for e in api_reads()) == sorted(stored)


@pytest.mark.django_db
def test_not_modified_answers_are_not_reads(stored, make_token) -> None:
    client = bearer(make_token().secret)
    with time_machine.travel(T0, tick=False):
        assert client.get(OPENAI_URL, HTTP_IF_NONE_MATCH='"1"').status_code == 304
    assert api_reads() == []


@pytest.mark.django_db
def test_a_quiet_key_is_summarised_by_the_periodic_flush(stored, make_token) -> None:
    client = bearer(make_token().secret)
    for second in (0, 1, 2):
        read_at(client, T0 + timedelta(seconds=second))
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert flush_due() == 0  # the window is still open
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        out = _flush_command()
    assert out == "Wrote 1 summary event.\n"
    assert [e.details.get("repeats") for e in api_reads()] == [None, 2]
    assert not CoalescedWindow.objects.exists()
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert _flush_command() == "Wrote 0 summary events.\n"  # nothing twice


@pytest.mark.django_db
def test_any_new_window_flushes_other_keys_finished_windows(stored, make_token) -> None:
    client = bearer(make_token(["*"]).secret)
    read_at(client, T0)
    read_at(client, T0 + timedelta(seconds=1))  # a repeat of openai_api_key
    read_at(client, T0 + timedelta(minutes=3), SETTINGS_URL + "mistral_api_key")
    keys = [(e.setting_key, e.details.get("repeats")) for e in api_reads()]
    assert keys == [("openai_api_key", None), ("mistral_api_key", None), ("openai_api_key", 1)]


@pytest.mark.django_db
def test_a_single_read_leaves_no_summary(stored, make_token) -> None:
    read_at(bearer(make_token().secret), T0)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert flush_due() == 0
    assert len(api_reads()) == 1 and not CoalescedWindow.objects.exists()


@pytest.mark.django_db
def test_a_repeat_arriving_after_its_window_was_flushed_is_recorded_itself(db, monkeypatch):
    with time_machine.travel(T0, tick=False):
        record_coalesced("api_read", "subject", setting_key="k", actor_label="late")
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        flush_due()
    # A slow worker that took its timestamp in the first window records only now.
    monkeypatch.setattr(audit_coalescing, "_window_start", lambda now, w: T0.replace(second=0))
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert record_coalesced("api_read", "subject", setting_key="k", actor_label="late")
    assert AuditEvent.objects.filter(action="api_read").count() == 2


@pytest.mark.django_db
def test_the_window_row_never_holds_the_value_or_the_token(stored, make_token) -> None:
    created = make_token()
    client = bearer(created.secret)
    read_at(client, T0)
    read_at(client, T0 + timedelta(seconds=1))
    row = str(list(CoalescedWindow.objects.values()))
    assert OPENAI_VALUE not in row and created.secret not in row


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_from_many_workers_are_each_counted_once() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database is one connection; PostgreSQL runs this")
    workers, each = 6, 10
    barrier = threading.Barrier(workers)

    def work() -> None:
        try:
            barrier.wait()
            with time_machine.travel(T0, tick=False):
                for _ in range(each):
                    record_coalesced("api_read", "hot", setting_key="k", actor_label="t")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        flush_due()
    _first, summary = AuditEvent.objects.filter(action="api_read").order_by("id")
    assert summary.details["repeats"] == workers * each - 1
    assert audit.verify_chain().ok


def _flush_command() -> str:
    import io

    out = io.StringIO()
    call_command("flush_audit_windows", stdout=out)
    return out.getvalue()
