"""Tampering with the audit table: verify_audit names the first break and never crashes, and
new events keep being written and chained after any edit, the break staying detectable."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.support.reveal_helpers import post_reveal
from tests.support.role_users import PASSWORD, SECRET

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


def record_events(count: int) -> list[AuditEvent]:
    return [
        audit.record(AuditAction.UPDATED, setting_key=f"key_{n}", count=n) for n in range(count)
    ]


def sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", TABLE), list(params))


def top_id() -> int:
    return int(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0])


# Each edit returns the id the first broken event has after it (or None: nothing names it).
def renumber_up(e: list[AuditEvent]) -> int:
    new_id = top_id() + 100
    sql("UPDATE {table} SET id = %s WHERE id = %s", new_id, e[2].pk)
    return new_id


def renumber_down(e: list[AuditEvent]) -> int:
    sql("UPDATE {table} SET id = %s WHERE id = %s", 0, e[3].pk)
    return 0


def swap_ids(e: list[AuditEvent]) -> int:
    spare = top_id() + 100
    sql("UPDATE {table} SET id = %s WHERE id = %s", spare, e[1].pk)
    sql("UPDATE {table} SET id = %s WHERE id = %s", e[1].pk, e[2].pk)
    sql("UPDATE {table} SET id = %s WHERE id = %s", e[2].pk, spare)
    return e[2].pk  # the second event now carries the third one's id


def renumber_newest_to_an_id_a_new_event_would_take(e: list[AuditEvent]) -> int:
    new_id = top_id() + 1
    sql("UPDATE {table} SET id = %s WHERE id = %s", new_id, e[1].pk)
    return new_id


def edit_a_field(e: list[AuditEvent]) -> int:
    sql("UPDATE {table} SET setting_key = %s WHERE id = %s", "covered_up", e[2].pk)
    return e[2].pk


def delete_a_middle_row(e: list[AuditEvent]) -> int:
    sql("DELETE FROM {table} WHERE id = %s", e[2].pk)
    return e[3].pk


def delete_the_first_row(e: list[AuditEvent]) -> int:
    sql("DELETE FROM {table} WHERE id = %s", e[0].pk)
    return e[1].pk


def duplicate_a_previous_hash(e: list[AuditEvent]) -> int:
    sql("UPDATE {table} SET previous_hash = %s WHERE id = %s", e[1].previous_hash, e[2].pk)
    return e[2].pk


def unreadable_details(e: list[AuditEvent]) -> int:
    # Valid JSON that no canonical payload can hold: an infinite number.
    sql("UPDATE {table} SET details = %s WHERE id = %s", '{"count": 1e400}', e[2].pk)
    return e[2].pk


EDITS: list[Callable[[list[AuditEvent]], int]] = [
    renumber_up,
    renumber_down,
    swap_ids,
    renumber_newest_to_an_id_a_new_event_would_take,
    edit_a_field,
    delete_a_middle_row,
    delete_the_first_row,
    duplicate_a_previous_hash,
    unreadable_details,
]


@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__ for edit in EDITS])
def test_any_edit_is_named_and_the_trail_keeps_growing(edit) -> None:
    broken_id = edit(record_events(5))

    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id) == (False, broken_id), report.message
    with pytest.raises(CommandError, match=rf"BROKEN at event {broken_id}\b"):
        call_command("verify_audit", stdout=io.StringIO())

    # New events are written and chained after the tampering ...
    first = audit.record(AuditAction.VERIFIED, setting_key="after_the_edit")
    second = audit.record(AuditAction.VERIFIED, setting_key="after_the_edit")
    assert second.previous_hash == first.hash
    assert second.sequence == first.sequence + 1
    # ... and the break stays where it was.
    later = audit.verify_chain()
    assert (later.ok, later.broken_event_id) == (False, broken_id), later.message


def test_renumbering_a_row_leaves_every_admin_page_working() -> None:
    """The issue's reproduction: renumber one row, then add, change, verify and reveal."""
    admin = User.objects.create_superuser("root", "", PASSWORD)
    client = Client()
    client.force_login(admin)
    renumber_up(record_events(5))  # a middle row: the next event used to collide with it

    added = client.post(
        "/admin/settings_app/setting/add/",
        {"key": "openai_api_key", "provider": "openai", "value": SECRET, "description": ""},
    )
    assert added.status_code == 302
    setting = Setting.objects.get(key="openai_api_key")
    changed = client.post(
        f"/admin/settings_app/setting/{setting.pk}/change/",
        {
            "key": setting.key,
            "provider": "openai",
            "value": "",
            "description": "rotated",
            "version": str(setting.version),  # the version the form was opened at
        },
    )
    assert changed.status_code == 302
    setting.provider = "other"  # "other" is verified without a network call
    setting.save()
    assert client.post(f"/admin/settings_app/setting/{setting.pk}/verify/").status_code == 302
    revealed = post_reveal(
        client,
        f"/admin/settings_app/setting/{setting.pk}/reveal/",
        {"password": PASSWORD, "reason": "checking the trail still grows"},
    )
    assert SECRET in revealed.content.decode()
    written = AuditEvent.objects.filter(setting_key="openai_api_key").values_list("action")
    assert {action for (action,) in written} >= {"created", "updated", "verified", "revealed"}


def test_deleting_the_newest_events_is_reported() -> None:
    events = record_events(4)
    sql("DELETE FROM {table} WHERE id IN (%s, %s)", events[2].pk, events[3].pk)
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_event_id is None  # no event is left to carry the break
    assert "newest" in report.message and "sequence 4" in report.message
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_audit", stdout=io.StringIO())


def test_a_forged_event_appended_at_the_end_is_named() -> None:
    events = record_events(3)
    forged_id = top_id() + 1
    sql(
        "INSERT INTO {table} (id, sequence, chain_format, created_at, actor_label, action, "
        "setting_key, source, ip, user_agent, details, previous_hash, hash) "
        "VALUES (%s, %s, 2, %s, '', 'deleted', 'openai_api_key', 'code', '', '', '{}', %s, %s)",
        forged_id,
        events[-1].sequence + 1,
        events[-1].created_at,
        events[-1].hash,
        "f" * 64,
    )
    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id) == (False, forged_id)
    assert "edited" in report.problem or "forged" in report.problem


def test_renumbering_a_sequence_is_named_at_the_gap() -> None:
    events = record_events(4)
    sql("UPDATE {table} SET sequence = %s WHERE id = %s", 1000, events[1].pk)
    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id) == (False, events[2].pk)
    assert "sequence 2" in report.problem and "missing" in report.problem


def test_an_edited_chain_head_does_not_stop_new_events() -> None:
    from settings_app.audit.models import AuditChainHead

    record_events(2)
    AuditChainHead.objects.update(sequence=7, hash="0" * 64)
    event = audit.record(AuditAction.VERIFIED, setting_key="still_written")
    report = audit.verify_chain()
    assert (report.ok, report.broken_event_id) == (False, event.pk)
