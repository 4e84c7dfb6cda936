"""Events written before the chain had a sequence keep verifying, and new ones chain after them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent

BEFORE = ("settings_app", "0004_audit_actions_and_names")


def write_old_events(apps, count: int) -> list[str]:
    """Events as the chain wrote them before: format 1, chained by id; returns their hashes."""
    old_model = apps.get_model("settings_app", "AuditEvent")
    hashes, previous = [], audit.GENESIS
    for n in range(count):
        fields = {
            "action": AuditAction.UPDATED,
            "setting_key": f"key_{n}",
            "created_at": timezone.now(),
            "previous_hash": previous,
        }
        previous = audit.compute_hash(AuditEvent(chain_format=1, **fields))
        old_model.objects.create(hash=previous, **fields)
        hashes.append(previous)
    return hashes


@pytest.mark.django_db(transaction=True)
def test_old_events_get_sequences_in_id_order_and_keep_verifying() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    hashes = write_old_events(executor.loader.project_state([BEFORE]).apps, 3)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    stored = AuditEvent.objects.order_by("sequence").values_list("sequence", "chain_format", "hash")
    assert list(stored) == [(1, 1, hashes[0]), (2, 1, hashes[1]), (3, 1, hashes[2])]
    assert audit.verify_chain().checked == 3
    new = audit.record(AuditAction.VERIFIED, setting_key="after_the_migration")
    assert (new.sequence, new.previous_hash) == (4, hashes[2])
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.head_hash) == (True, 4, new.hash)
    with connection.cursor() as cursor:  # old events are still protected by their hash
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET setting_key = 'x' WHERE sequence = 2"
        )
    assert audit.verify_chain().broken_sequence == 2
