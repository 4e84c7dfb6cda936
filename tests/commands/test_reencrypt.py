"""reencrypt, encryption_status and init_encryption --rotate: the operator's rotation drill."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from settings_app import reencryption
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.keys import fake_key
from tests.testapp.models import OtherSecret, Secret, Token

pytestmark = pytest.mark.django_db


def raw_values(table: str, column: str = "value") -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def set_raw(table: str, pk: int, value: str | None, column: str = "value") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def insert_raw(table: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (value, note) VALUES (%s, '')", [value])


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def rotate_primary(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-next")


def key_id(envelope: str) -> str:
    return envelope.split("$")[3]


def test_rotation_drill(settings) -> None:
    originals = [f"sk-proj-value-{n:04d}" for n in range(25)]
    Secret.objects.bulk_create(Secret(value=v) for v in originals)
    Token.objects.create(token="tok-before")
    old_ids = {key_id(v) for v in raw_values("testapp_secret")}

    rotate_primary(settings)
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-next")
    Secret.objects.create(value="written-after-rotation")
    assert sorted(map(str, Secret.objects.values_list("value", flat=True))) == sorted(
        [*originals, "written-after-rotation"]
    )
    assert Token.objects.filter(token="tok-before").exists()
    status = run("encryption_status")
    assert "still in use" in status

    summary = run("reencrypt", "--batch-size", "7")
    # 25 old secrets and the old token move; the secret written after the rotation is current.
    assert "Scanned 27 rows: 26 re-encrypted, 1 already current" in summary
    new_ids = {key_id(v) for v in raw_values("testapp_secret")}
    assert len(new_ids) == 1 and not new_ids & old_ids
    assert "no value uses it: it can be retired now" in run("encryption_status")
    assert "0 re-encrypted" in run("reencrypt")  # a second run writes nothing

    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = []
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = []
    assert sorted(map(str, Secret.objects.values_list("value", flat=True))) == sorted(
        [*originals, "written-after-rotation"]
    )
    assert Token.objects.get(token="tok-before")


def test_legacy_plaintext_becomes_ciphertext(settings) -> None:
    insert_raw("testapp_secret", "sk-legacy-plaintext-1")
    with pytest.raises(CommandError, match="could not be decrypted"):
        run("reencrypt")
    assert raw_values("testapp_secret") == ["sk-legacy-plaintext-1"]

    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = True
    assert "1 re-encrypted" in run("reencrypt")
    (stored,) = raw_values("testapp_secret")
    assert stored.startswith("$kv1$r$") and "legacy" not in stored
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False
    assert Secret.objects.get().value == "sk-legacy-plaintext-1"


def test_tampered_row_is_reported_and_left_alone(settings) -> None:
    good, bad = Secret.objects.create(value="good-one"), Secret.objects.create(value="bad-one")
    rotate_primary(settings)
    tampered = raw_values("testapp_secret")[1]
    tampered = tampered[:-6] + ("A" if tampered[-6] != "A" else "B") + tampered[-5:]
    set_raw("testapp_secret", bad.pk, tampered)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rows could not be decrypted"):
        call_command("reencrypt", stdout=io.StringIO(), stderr=err)
    assert f"testapp.Secret pk={bad.pk} field=value" in err.getvalue()
    assert raw_values("testapp_secret")[1] == tampered
    assert Secret.objects.get(pk=good.pk).value == "good-one"
    assert "bad-one" not in err.getvalue()


def test_dry_run_counts_and_writes_nothing(settings) -> None:
    Secret.objects.create(value="one")
    rotate_primary(settings)
    Secret.objects.create(value="two")
    before = raw_values("testapp_secret")
    out = run("reencrypt", "--dry-run", "testapp.Secret")
    old = reencryption.encrypted_models(["testapp.Secret"])[0].fields[0].cipher.key_ids[1]
    assert f"fallback:{old}: 1" in out and "current: 1" in out
    assert raw_values("testapp_secret") == before


def test_compare_and_swap_never_overwrites_a_concurrent_edit(settings) -> None:
    row = Secret.objects.create(value="before")
    rotate_primary(settings)
    spec = reencryption.encrypted_models(["testapp.Secret"])[0]

    # Simulate an edit landing after the batch was read: plan on the old value, then edit.
    batch = next(reencryption.iterate_raw(spec, 10))
    report = reencryption.ReencryptReport()
    statement, params = reencryption._plan_row(spec, batch[0], report)  # type: ignore[misc]
    Secret.objects.filter(pk=row.pk).update(value="edited-concurrently")
    assert reencryption._write(spec, {statement: [params]}, "default") == 0
    assert Secret.objects.get(pk=row.pk).value == "edited-concurrently"


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match=r"app_label\.Model"):
        run("reencrypt", "nope.Missing")
    with pytest.raises(CommandError, match="has no encrypted field"):
        run("reencrypt", "testapp.PlainSecret")


def test_status_fails_while_plaintext_remains(settings) -> None:
    insert_raw("testapp_secret", "plain-legacy-value")
    with pytest.raises(CommandError, match="plaintext or cannot be decrypted"):
        run("encryption_status")


def test_blind_index_follows_deterministic_rotation(settings) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-next")
    assert "still in use" in run("encryption_status")
    run("reencrypt")
    assert "no value uses it" in run("encryption_status")


def test_other_fields_in_one_row_each_move(settings) -> None:
    OtherSecret.objects.create(value="a-value", other="b-value")
    rotate_primary(settings)
    run("reencrypt")
    row = OtherSecret.objects.get()
    assert (row.value, row.other) == ("a-value", "b-value")


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
