"""Raw reads in pk order by keyset pagination, and compare-and-swap writes that lose every race."""

from __future__ import annotations

import pytest

from settings_app import reencryption
from settings_app.reencryption import raw
from tests.support.raw_rows import raw_values, rotate_primary
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db


def secret_spec() -> reencryption.ModelSpec:
    return reencryption.encrypted_models(["testapp.Secret"])[0]


def test_batches_cover_every_row_once_in_pk_order() -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(7))
    Secret.objects.filter(pk=sorted(Secret.objects.values_list("pk", flat=True))[2]).delete()
    batches = list(reencryption.iterate_raw(secret_spec(), 3))
    assert [len(batch) for batch in batches] == [3, 3]
    pks = [row[0] for batch in batches for row in batch]
    assert pks == sorted(Secret.objects.values_list("pk", flat=True))
    assert [row[1] for batch in batches for row in batch] == raw_values("testapp_secret")


def test_an_empty_table_yields_no_batch() -> None:
    assert list(reencryption.iterate_raw(secret_spec(), 10)) == []


def test_a_write_lands_only_where_the_old_value_still_holds(settings) -> None:
    kept, edited = Secret.objects.create(value="kept"), Secret.objects.create(value="before")
    rotate_primary(settings)
    spec = secret_spec()
    # An edit lands after the batch was read: plan on the old values, then edit one row.
    (batch,) = reencryption.iterate_raw(spec, 10)
    plan = reencryption.plan_batch(spec, batch)
    Secret.objects.filter(pk=edited.pk).update(value="edited-concurrently")

    assert reencryption.compare_and_swap(spec, plan.updates) == 1
    assert Secret.objects.get(pk=edited.pk).value == "edited-concurrently"
    assert Secret.objects.get(pk=kept.pk).value == "kept"
    assert reencryption.plan_row(spec, next(reencryption.iterate_raw(spec, 1))[0]) is None


def test_large_batches_are_split_below_the_parameter_limit(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Secret.objects.bulk_create(Secret(value=f"value-{n}") for n in range(9))
    rotate_primary(settings)
    monkeypatch.setattr(raw, "_MAX_PARAMETERS", 6)  # two rows per PostgreSQL statement
    spec = secret_spec()
    (batch,) = reencryption.iterate_raw(spec, 100)
    assert reencryption.compare_and_swap(spec, reencryption.plan_batch(spec, batch).updates) == 9
    assert sorted(Secret.objects.values_list("value", flat=True)) == [
        f"value-{n}" for n in range(9)
    ]
    (after,) = reencryption.iterate_raw(spec, 100)
    assert all(reencryption.plan_row(spec, row) is None for row in after)
