"""manage.py reencrypt: its output, exit status, argument errors and audit trail.

What a run does to the rows is specified in tests/reencryption/.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from settings_app.models import AuditAction, AuditEvent
from tests.support.raw_rows import (
    insert_raw,
    key_id,
    raw_values,
    rotate_primary,
    set_raw,
    tampered,
)
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_output(settings) -> None:
    Secret.objects.create(value="one")
    old = key_id(raw_values("testapp_secret")[0])
    rotate_primary(settings)
    Secret.objects.create(value="two")
    before = raw_values("testapp_secret")

    dry_run = run("reencrypt", "--dry-run", "testapp.Secret")
    assert dry_run.splitlines() == [
        f"testapp.Secret.value: current: 1, fallback:{old}: 1",
        "Dry run: nothing was written.",
    ]
    assert raw_values("testapp_secret") == before

    lines = run("reencrypt", "testapp.Secret").splitlines()
    assert lines[0] == "... 2/2 rows (100%)"  # not a terminal: progress as plain lines
    assert lines[1].startswith(
        "Scanned 2 rows: 1 re-encrypted, 1 already current, "
        "0 changed concurrently (left as written), 0 failed, in "
    )
    assert lines[1].endswith(" rows/s).") and len(lines) == 2


def test_unreadable_rows_exit_non_zero_and_are_named(settings) -> None:
    good, bad = Secret.objects.create(value="good-one"), Secret.objects.create(value="bad-one")
    rotate_primary(settings)
    set_raw("testapp_secret", bad.pk, tampered(raw_values("testapp_secret")[1]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rows could not be decrypted") as raised:
        call_command("reencrypt", stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert f"FAILED testapp.Secret pk={bad.pk} field=value" in err.getvalue()
    assert f"pk={good.pk}" not in err.getvalue()
    assert "bad-one" not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.Missing"], r"app_label\.Model"),
        (["testapp.PlainSecret"], "has no encrypted field"),
        (["--batch-size", "0"], "--batch-size must be a positive number"),
    ],
)
def test_bad_arguments_are_clear_errors(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("reencrypt", *args)


def test_a_broken_key_configuration_is_a_clear_error(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY = "too-short"
    with pytest.raises(CommandError, match="KEYVAULT_PRIMARY_KEY"):
        run("reencrypt")


def test_commands_leave_an_audit_trail(settings) -> None:
    Secret.objects.create(value="audited-value")
    rotate_primary(settings)
    run("reencrypt")
    run("encryption_status")
    (event,) = AuditEvent.objects.filter(action=AuditAction.REENCRYPTED)
    assert (event.source, event.actor_label) == ("command", "manage.py reencrypt")
    assert (event.details["scanned"], event.details["updated"]) == (1, 1)
    assert AuditEvent.objects.filter(
        action=AuditAction.STATUS_CHECKED, actor_label="manage.py encryption_status"
    ).exists()
    assert "audited-value" not in str(list(AuditEvent.objects.values()))


def test_a_failed_row_is_audited(settings) -> None:
    insert_raw("testapp_secret", "legacy-plaintext-row")
    with pytest.raises(CommandError):
        run("reencrypt")
    (event,) = AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED)
    assert event.details["model"] == "testapp.Secret"
    assert "legacy-plaintext-row" not in str(event.details)
