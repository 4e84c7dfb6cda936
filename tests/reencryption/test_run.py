"""reencrypt(): the run, its report and its guarantees (resumable, never overwrites an edit)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from settings_app import reencryption
from settings_app.models import AuditAction, Setting
from settings_app.reencryption import run
from tests.support.raw_rows import (
    drop_fallbacks,
    insert_raw,
    key_id,
    raw_values,
    rotate_deterministic,
    rotate_primary,
    set_raw,
    tampered,
)
from tests.testapp.models import OtherSecret, Secret, Token

pytestmark = pytest.mark.django_db

SECRET_AND_TOKEN = ("testapp.Secret", "testapp.Token")


def reencrypt(
    *labels: str, batch_size: int = 1000, progress: Callable[[int], None] = lambda rows: None
) -> reencryption.ReencryptReport:
    specs = reencryption.encrypted_models(labels)
    return reencryption.reencrypt(specs, batch_size=batch_size, progress=progress)


def test_rotation_drill(settings) -> None:
    originals = [f"sk-proj-value-{n:04d}" for n in range(25)]
    Secret.objects.bulk_create(Secret(value=v) for v in originals)
    Token.objects.create(token="tok-before")
    old_ids = {key_id(v) for v in raw_values("testapp_secret")}
    rotate_primary(settings)
    rotate_deterministic(settings)
    Secret.objects.create(value="written-after-rotation")

    report = reencrypt(*SECRET_AND_TOKEN, batch_size=7)
    # 25 old secrets and the old token move; the secret written after the rotation is current.
    assert (report.scanned, report.updated, report.current) == (27, 26, 1)
    assert (report.conflicts, report.failed, report.error) == (0, 0, None)
    new_ids = {key_id(v) for v in raw_values("testapp_secret")}
    assert len(new_ids) == 1 and not new_ids & old_ids
    again = reencrypt(*SECRET_AND_TOKEN)
    assert (again.updated, again.current) == (0, 27)  # a second run writes nothing

    drop_fallbacks(settings)
    assert sorted(map(str, Secret.objects.values_list("value", flat=True))) == sorted(
        [*originals, "written-after-rotation"]
    )
    assert Token.objects.get(token="tok-before")


def test_legacy_plaintext_becomes_ciphertext(settings) -> None:
    insert_raw("testapp_secret", "sk-legacy-plaintext-1")
    refused = reencrypt("testapp.Secret")
    assert (refused.failed, refused.updated) == (1, 0)
    assert refused.error is not None and "could not be decrypted" in refused.error
    assert raw_values("testapp_secret") == ["sk-legacy-plaintext-1"]

    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = True
    assert reencrypt("testapp.Secret").updated == 1
    (stored,) = raw_values("testapp_secret")
    assert stored.startswith("$kv1$r$") and "legacy" not in stored
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False
    assert Secret.objects.get().value == "sk-legacy-plaintext-1"


def test_a_tampered_row_is_reported_and_left_alone(settings) -> None:
    good, bad = Secret.objects.create(value="good-one"), Secret.objects.create(value="bad-one")
    rotate_primary(settings)
    damaged = tampered(raw_values("testapp_secret")[1])
    set_raw("testapp_secret", bad.pk, damaged)
    report = reencrypt("testapp.Secret")

    assert (report.updated, report.failed) == (1, 1)
    (failure,) = report.failures
    assert (failure.model, failure.pk, failure.field) == ("testapp.Secret", bad.pk, "value")
    assert raw_values("testapp_secret")[1] == damaged
    assert Secret.objects.get(pk=good.pk).value == "good-one"


def test_an_edit_during_the_run_wins_and_is_counted(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = Secret.objects.bulk_create(Secret(value=f"before-{n}") for n in range(4))
    rotate_primary(settings)

    def plan_then_edit(spec: reencryption.ModelSpec, batch: list) -> reencryption.BatchPlan:
        plan = reencryption.plan_batch(spec, batch)
        Secret.objects.filter(pk=rows[1].pk).update(value="edited-concurrently")
        return plan

    monkeypatch.setattr(run, "plan_batch", plan_then_edit)
    report = reencrypt("testapp.Secret")
    assert (report.updated, report.conflicts) == (3, 1)
    assert Secret.objects.get(pk=rows[1].pk).value == "edited-concurrently"


def test_an_interrupted_run_keeps_its_finished_batches_and_resumes(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"value-{n}") for n in range(10))
    rotate_primary(settings)
    old_id = key_id(raw_values("testapp_secret")[0])

    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt

    interrupted = reencrypt("testapp.Secret", batch_size=4, progress=interrupt)
    assert (interrupted.interrupted, interrupted.updated) == (True, 4)
    moved = [key_id(v) != old_id for v in raw_values("testapp_secret")]
    assert moved == [True] * 4 + [False] * 6  # the first batch committed, nothing after it

    report = reencrypt("testapp.Secret", batch_size=4)
    assert (report.updated, report.current) == (6, 4)
    drop_fallbacks(settings)
    assert sorted(Secret.objects.values_list("value", flat=True)) == sorted(
        f"value-{n}" for n in range(10)
    )


def test_fields_and_fingerprints_all_move(settings) -> None:
    OtherSecret.objects.create(value="a-value", other="b-value")
    Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    rotate_primary(settings)
    rotate_deterministic(settings)
    assert reencrypt("testapp.OtherSecret", "settings_app.Setting").updated == 2

    drop_fallbacks(settings)
    row = OtherSecret.objects.get()
    assert (row.value, row.other) == ("a-value", "b-value")
    assert Setting.objects.filter(value_fingerprint__isnull=False).count() == 1
    (fingerprint,) = raw_values("settings_app_setting", "value_fingerprint")
    index = reencryption.encrypted_models(["settings_app.Setting"])[0].fields[0].index
    assert index is not None and index.is_current(fingerprint, "sk-proj-find-me-0001")


def test_progress_hears_every_row() -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(5))
    heard: list[int] = []
    reencrypt("testapp.Secret", batch_size=2, progress=heard.append)
    assert heard == [2, 2, 1]


def test_failures_past_the_cap_are_counted_not_kept() -> None:
    report = reencryption.ReencryptReport()
    failures = [reencryption.Failure("m.M", pk, "value", "unreadable") for pk in range(150)]
    report.add(reencryption.BatchPlan(failures=failures[:60]), rows=60, written=0)
    report.add(reencryption.BatchPlan(failures=failures[60:]), rows=90, written=0)
    assert report.failed == 150
    assert report.failures == failures[: reencryption.MAX_REPORTED_FAILURES]


def test_the_report_names_what_to_audit_and_print(settings) -> None:
    Secret.objects.create(value="fine")
    insert_raw("testapp_secret", "sk-plaintext-secret")
    report = reencrypt("testapp.Secret", "testapp.Token")

    run_entry, failure_entry = report.audit_entries()
    assert run_entry == reencryption.AuditEntry(
        AuditAction.REENCRYPTED,
        {"models": ["testapp.Secret", "testapp.Token"], "scanned": 2, "updated": 0, "failed": 1},
    )
    pk = str(report.failures[0].pk)
    assert failure_entry.details == {"model": "testapp.Secret", "pk": pk, "field": "value"}
    assert failure_entry.action == AuditAction.DECRYPTION_FAILED
    assert report.summary.startswith("Scanned 2 rows: 0 re-encrypted, 1 already current, ")
    assert "sk-plaintext-secret" not in f"{report.summary}{report.error}{report.failures}"
