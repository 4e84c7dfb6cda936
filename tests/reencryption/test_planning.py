"""plan_row and plan_batch: which columns of a raw row move to the current key, which rows fail."""

from __future__ import annotations

import pytest

from settings_app import reencryption
from settings_app.models import Setting
from tests.support.raw_rows import (
    insert_raw,
    raw_values,
    rotate_deterministic,
    rotate_primary,
    set_raw,
    tampered,
)
from tests.testapp.models import OtherSecret, Secret

pytestmark = pytest.mark.django_db


def only_row(label: str) -> tuple[reencryption.ModelSpec, tuple[object, ...]]:
    (spec,) = reencryption.encrypted_models([label])
    (batch,) = reencryption.iterate_raw(spec, 10)
    (row,) = batch
    return spec, row


def test_a_current_or_empty_row_needs_nothing() -> None:
    Secret.objects.create(value="current")
    assert reencryption.plan_row(*only_row("testapp.Secret")) is None
    Secret.objects.all().update(value=None)
    assert reencryption.plan_row(*only_row("testapp.Secret")) is None


def test_a_fallback_value_is_swapped_for_its_current_envelope(settings) -> None:
    Secret.objects.create(value="sk-proj-move-me")
    rotate_primary(settings)
    spec, row = only_row("testapp.Secret")
    change = reencryption.plan_row(spec, row)

    assert isinstance(change, reencryption.Change)
    assert change.statement == reencryption.Statement(sets=("value",), guards=("value",))
    new, pk, old = change.params
    assert (pk, old) == (row[0], row[1])  # guarded by the value that was read
    cipher = spec.fields[0].cipher
    assert (
        isinstance(new, str) and cipher.is_current(new) and cipher.decrypt(new) == "sk-proj-move-me"
    )


def test_a_missing_fingerprint_is_added_without_rewriting_the_value() -> None:
    stored = Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    set_raw("settings_app_setting", stored.pk, None, column="value_fingerprint")
    spec, row = only_row("settings_app.Setting")
    change = reencryption.plan_row(spec, row)

    assert isinstance(change, reencryption.Change)
    assert change.statement == reencryption.Statement(("value_fingerprint",), ("value",))
    index = spec.fields[0].index
    assert index is not None
    assert change.params == [index.digest("sk-proj-find-me-0001"), stored.pk, row[1]]


def test_a_deterministic_rotation_refreshes_only_the_fingerprint(settings) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-find-me-0001")
    (old_fingerprint,) = raw_values("settings_app_setting", "value_fingerprint")
    rotate_deterministic(settings)
    change = reencryption.plan_row(*only_row("settings_app.Setting"))

    assert isinstance(change, reencryption.Change)
    assert change.statement.sets == ("value_fingerprint",)
    new_fingerprint = change.params[0]
    assert isinstance(new_fingerprint, str) and new_fingerprint != old_fingerprint
    assert not new_fingerprint.startswith(old_fingerprint.split(":")[0])


def test_plaintext_fails_without_quoting_it_unless_migration_is_on(settings) -> None:
    insert_raw("testapp_secret", "sk-zebra-plaintext-1")
    spec, row = only_row("testapp.Secret")
    failure = reencryption.plan_row(spec, row)

    assert isinstance(failure, reencryption.Failure)
    assert (failure.model, failure.pk, failure.field) == ("testapp.Secret", row[0], "value")
    assert "not encrypted" in failure.reason and "zebra" not in failure.reason + failure.line
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = True
    spec, row = only_row("testapp.Secret")
    assert isinstance(reencryption.plan_row(spec, row), reencryption.Change)


def test_one_unreadable_field_fails_the_whole_row(settings) -> None:
    row = OtherSecret.objects.create(value="a-value", other="b-value")
    rotate_primary(settings)
    set_raw(
        "testapp_othersecret",
        row.pk,
        tampered(raw_values("testapp_othersecret", "other")[0]),
        "other",
    )
    failure = reencryption.plan_row(*only_row("testapp.OtherSecret"))
    assert isinstance(failure, reencryption.Failure) and failure.field == "other"
    assert "failed authentication" in failure.reason


def test_both_fields_of_a_row_move_in_one_statement(settings) -> None:
    OtherSecret.objects.create(value="a-value", other="b-value")
    rotate_primary(settings)
    change = reencryption.plan_row(*only_row("testapp.OtherSecret"))
    assert isinstance(change, reencryption.Change)
    assert change.statement == reencryption.Statement(("value", "other"), ("value", "other"))


def test_a_batch_is_sorted_into_writes_current_rows_and_failures(settings) -> None:
    Secret.objects.create(value="old-one")
    Secret.objects.create(value="old-two")
    rotate_primary(settings)
    Secret.objects.create(value="new-one")
    insert_raw("testapp_secret", "plaintext-one")
    (spec,) = reencryption.encrypted_models(["testapp.Secret"])
    (batch,) = reencryption.iterate_raw(spec, 10)
    plan = reencryption.plan_batch(spec, batch)

    assert (plan.planned, plan.current, len(plan.failures)) == (2, 1, 1)
    (params,) = plan.updates.values()  # both rows share one statement
    assert [p[2] for p in params] == raw_values("testapp_secret")[:2]
    assert all(spec.fields[0].cipher.is_current(str(p[0])) for p in params)
