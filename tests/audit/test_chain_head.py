"""The chain head carries its own HMAC (issue 22, item 11): with write access to the database but
not SECRET_KEY, nobody can cut off the newest events unnoticed, by moving the head back or by
deleting it; each write logs the head for an outside witness."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection

from settings_app import audit
from settings_app.audit.models import AuditChainHead
from settings_app.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
EVENTS = AuditEvent._meta.db_table
HEAD = AuditChainHead._meta.db_table


def record_events(count: int) -> list[AuditEvent]:
    return [audit.record(AuditAction.UPDATED, setting_key=f"key_{n}") for n in range(count)]


def sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.format(events=EVENTS, head=HEAD), list(params))


def cut_off_the_newest(events: list[AuditEvent], count: int) -> AuditEvent:
    for event in events[-count:]:
        sql("DELETE FROM {events} WHERE id = %s", event.pk)
    return events[-count - 1]


def test_moving_the_head_back_over_deleted_events_is_a_break() -> None:
    events = record_events(5)
    last = cut_off_the_newest(events, 2)
    sql("UPDATE {head} SET sequence = %s, hash = %s", last.sequence, last.hash)
    report = audit.verify_chain()
    assert not report.ok, report.message
    assert "chain head" in report.problem and "HMAC" in report.problem


def test_deleting_the_head_row_is_a_break() -> None:
    events = record_events(3)
    cut_off_the_newest(events, 1)
    sql("DELETE FROM {head}")
    report = audit.verify_chain()
    assert not report.ok and "chain head is missing" in report.problem, report.message


def test_a_head_recreated_after_its_deletion_stays_a_break() -> None:
    events = record_events(3)
    cut_off_the_newest(events, 1)
    sql("DELETE FROM {head}")
    audit.record(AuditAction.VERIFIED, setting_key="written_after")  # recreates the head
    report = audit.verify_chain()
    assert not report.ok and "recreated" in report.problem, report.message
    audit.record(AuditAction.VERIFIED, setting_key="and_again")
    assert not audit.verify_chain().ok


def test_the_report_counts_the_events_missing_at_the_end() -> None:
    cut_off_the_newest(record_events(6), 2)
    report = audit.verify_chain()
    assert not report.ok and "2 events are missing at the end" in report.problem, report.message
    cut_off_the_newest(list(AuditEvent.objects.order_by("sequence")), 1)
    assert "3 events are missing at the end" in audit.verify_chain().problem


def test_a_head_written_under_a_rotated_secret_key_still_verifies(settings) -> None:
    record_events(2)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" * 6, [old_key]
    assert audit.verify_chain().ok
    settings.SECRET_KEY_FALLBACKS = []
    assert not audit.verify_chain().ok


def test_a_fresh_database_has_no_break() -> None:
    assert audit.verify_chain().ok
    record_events(1)
    assert audit.verify_chain().ok


def test_each_write_logs_the_head_for_an_outside_witness(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="keyvault.audit"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = audit.record(AuditAction.VERIFIED, setting_key="witnessed")
    (logged,) = [r for r in caplog.records if r.name == "keyvault.audit"]
    assert f"sequence={event.sequence}" in logged.getMessage()
    assert f"hash={event.hash}" in logged.getMessage()
    assert (logged.sequence, logged.hash) == (event.sequence, event.hash)  # type: ignore[attr-defined]
