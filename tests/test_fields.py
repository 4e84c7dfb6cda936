"""EncryptedTextField through the ORM: the column only ever holds envelopes of its own field."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.forms import modelform_factory
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from settings_app import fields
from settings_app.crypto import DecryptionError, DecryptionReason, KeyConfigurationError
from settings_app.crypto import cipher as cipher_module
from settings_app.crypto.envelope import MARKER, looks_like_envelope
from settings_app.encryption.fields import EncryptedTextField
from tests.crypto.bad_keys import BAD_CONFIGS, BadConfig
from tests.crypto.damage import bit_flips, extensions, truncations
from tests.support.keys import test_key
from tests.support.raw_rows import key_id, raw, rotate_deterministic, rotate_primary, write_raw
from tests.testapp.models import OtherSecret, Secret, Token

pytestmark = pytest.mark.django_db

# PostgreSQL text cannot hold NUL; values starting with the envelope marker are reserved.
storable_text = st.text().filter(lambda t: "\x00" not in t and not t.startswith(MARKER))
LONG_UNICODE = ("sk-é€😀ß中\t\n" * 8192)[: 64 * 1024]


# --- raw column access: tests/support/raw_rows.py ----------------------------------------
def read(model: Any, pk: Any, field: str = "value") -> Any:
    """Load a row and use its value: an undecryptable one raises its DecryptionError here."""
    return fields.require_readable(getattr(model.objects.get(pk=pk), field))


# --- round trips ---------------------------------------------------------------------------
@hypothesis_settings(max_examples=60, deadline=None)
@given(plaintext=storable_text)
def test_any_text_round_trips_through_the_database(plaintext: str) -> None:
    row = Secret.objects.create(value=plaintext)
    assert raw(row).startswith("$kv1$r$")
    assert Secret.objects.get(pk=row.pk).value == plaintext


@hypothesis_settings(max_examples=30, deadline=None)
@given(plaintext=storable_text)
def test_any_text_round_trips_through_a_deterministic_field(plaintext: str) -> None:
    row = Token.objects.create(token=plaintext)
    assert raw(row, "token").startswith("$kv1$d$")
    assert Token.objects.get(pk=row.pk).token == plaintext


def test_null_stays_sql_null() -> None:
    row = Secret.objects.create(value=None)
    assert raw(row) is None
    assert Secret.objects.get(pk=row.pk).value is None


def test_empty_string_is_encrypted() -> None:
    row = Secret.objects.create(value="")
    assert raw(row).startswith("$kv1$r$")
    assert Secret.objects.get(pk=row.pk).value == ""


def test_64_kib_of_unicode_round_trips() -> None:
    row = Secret.objects.create(value=LONG_UNICODE)
    assert Secret.objects.get(pk=row.pk).value == LONG_UNICODE


@pytest.fixture
def seeded_nonces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reproducible nonces: a chance 4-character match inside base64 then never flickers."""
    monkeypatch.setattr(cipher_module, "os", SimpleNamespace(urandom=random.Random(3).randbytes))


def random_plaintexts(count: int) -> list[str]:
    chooser = random.Random(2026)
    alphabets = ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", "é€😀ßü中文"]
    return [
        "sk-" + "".join(chooser.choices(alphabets[n % 2], k=chooser.randrange(4, 80)))
        for n in range(count)
    ]


@pytest.mark.usefixtures("seeded_nonces")
@pytest.mark.parametrize(("model", "field"), [(Secret, "value"), (Token, "token")])
def test_raw_column_never_holds_four_characters_of_the_plaintext(model: Any, field: str) -> None:
    for plaintext in random_plaintexts(300):
        stored = raw(model.objects.create(**{field: plaintext}), field)
        grams = {plaintext[i : i + 4] for i in range(len(plaintext) - 3)}
        assert looks_like_envelope(stored)
        assert [gram for gram in grams if gram in stored] == []


# --- damage through the database -----------------------------------------------------------
def sample_of_damage(envelope: str) -> list[str]:
    """Every 13th bit flip, every 5th truncation and every 4th extension."""
    return [
        *list(bit_flips(envelope))[::13],
        *list(truncations(envelope))[::5],
        *list(extensions(envelope))[::4],
    ]


@pytest.mark.parametrize("plaintext_support", [False, True])
@pytest.mark.parametrize(("model", "field"), [(Secret, "value"), (Token, "token")])
def test_damaged_column_raises_decryption_error_when_used(
    settings: Settings, model: Any, field: str, plaintext_support: bool
) -> None:
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = plaintext_support
    row = model.objects.create(**{field: "sk-live-0123456789"})
    for damaged in sample_of_damage(raw(row, field)):
        if len(damaged) < 3 or "\x00" in damaged:
            continue  # "", "$", "$k" are legacy plaintext; NUL cannot be stored on PostgreSQL
        write_raw(row, damaged, field)
        with pytest.raises(DecryptionError):
            read(model, row.pk, field)


# --- keys, rotation and misplaced ciphertext -----------------------------------------------
def test_unknown_key_names_the_key_id_and_a_removed_fallback(settings: Settings) -> None:
    row = Secret.objects.create(value="sk-live-1")
    settings.KEYVAULT_PRIMARY_KEY = test_key("someone else's")
    with pytest.raises(DecryptionError, match=key_id(raw(row))) as raised:
        read(Secret, row.pk)
    assert "removed too early" in str(raised.value)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ((Secret, "value"), (OtherSecret, "value")),
        ((OtherSecret, "value"), (OtherSecret, "other")),
        ((OtherSecret, "other"), (Secret, "value")),
    ],
)
def test_ciphertext_copied_to_another_field_fails(source: tuple, target: tuple) -> None:
    original = source[0].objects.create(**{source[1]: "sk-live-2"})
    copy = target[0].objects.create()
    write_raw(copy, raw(original, source[1]), target[1])
    with pytest.raises(DecryptionError, match="failed authentication"):
        read(target[0], copy.pk, target[1])


def test_primary_rotation_reads_old_rows_and_writes_under_the_new_key(settings: Settings) -> None:
    old = Secret.objects.create(value="sk-before")
    old_id = key_id(raw(old))
    rotate_primary(settings)
    assert Secret.objects.get(pk=old.pk).value == "sk-before"
    new = Secret.objects.create(value="sk-after")
    assert key_id(raw(new)) != old_id
    Secret.objects.get(pk=old.pk).save()
    assert key_id(raw(old)) == key_id(raw(new))


def test_deterministic_rotation_still_matches_old_rows(settings: Settings) -> None:
    old = Token.objects.create(token="tok-1")
    rotate_deterministic(settings)
    new = Token.objects.create(token="tok-1")
    Token.objects.create(token="tok-2")
    Token.objects.create(token=None)
    assert key_id(raw(old, "token")) != key_id(raw(new, "token"))
    assert set(Token.objects.filter(token="tok-1")) == {old, new}
    assert Token.objects.filter(token__in=["tok-1", "tok-2", "nope"]).count() == 3
    assert Token.objects.exclude(token="tok-1").count() == 2
    assert Token.objects.filter(token__isnull=True).count() == 1


@pytest.mark.parametrize("config", BAD_CONFIGS)
def test_bad_key_configuration_is_refused_at_the_first_read(
    settings: Settings, config: BadConfig
) -> None:
    row = Secret.objects.create(value="sk-live-3")
    for name, value in config.overrides.items():
        setattr(settings, name, value)
    with pytest.raises(KeyConfigurationError, match=config.variable) as raised:
        Secret.objects.get(pk=row.pk)
    assert "init_encryption" in str(raised.value)


# --- legacy plaintext ----------------------------------------------------------------------
def test_legacy_plaintext_is_refused_with_the_migration_steps() -> None:
    row = Secret.objects.create(value="x")
    write_raw(row, "sk-legacy-0001")
    with pytest.raises(DecryptionError) as raised:
        read(Secret, row.pk)
    message = str(raised.value)
    assert "KEYVAULT_SUPPORT_UNENCRYPTED_DATA" in message and "manage.py reencrypt" in message
    assert "off" in message and "sk-legacy" not in message


def test_legacy_plaintext_is_read_and_encrypted_on_next_save(settings: Settings) -> None:
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = True
    row = Secret.objects.create(value="x")
    write_raw(row, "sk-legacy-0002")
    loaded = Secret.objects.get(pk=row.pk)
    assert loaded.value == "sk-legacy-0002"
    loaded.save()
    assert raw(row).startswith("$kv1$r$")
    settings.KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False
    assert Secret.objects.get(pk=row.pk).value == "sk-legacy-0002"


def test_value_that_looks_like_an_envelope_is_refused() -> None:
    with pytest.raises(ValidationError, match="reserved"):
        Secret.objects.create(value="$kv1$r$00000000$AAAA")


# --- lookups -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Secret, {"value__contains": "sk"}),
        (Secret, {"value__icontains": "sk"}),
        (Secret, {"value__startswith": "sk"}),
        (Secret, {"value__gt": "a"}),
        (Secret, {"value__lower": "sk"}),
        (Secret, {"value": "sk"}),
        (Secret, {"value__exact": "sk"}),
        (Secret, {"value__iexact": "sk"}),
        (Secret, {"value__in": ["sk"]}),
        (Secret, {"value__regex": "sk"}),
        (Token, {"token__contains": "tok"}),
        (Token, {"token__startswith": "tok"}),
        (Token, {"token__lt": "tok"}),
        (Token, {"token__lower": "tok"}),
        (Token, {"token__lower__exact": "tok"}),
        (Token, {"token__iexact": "tok"}),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else value.__name__,
)
def test_lookups_that_cannot_work_on_ciphertext_raise(model: Any, lookup: dict) -> None:
    with pytest.raises(FieldError, match="is encrypted"):
        list(model.objects.filter(**lookup))


@pytest.mark.parametrize(
    "rhs",
    [F("token"), Token.objects.values("token")[:1]],
    ids=["expression", "subquery"],
)
def test_deterministic_lookups_refuse_expressions(rhs: Any) -> None:
    with pytest.raises(FieldError, match="plain strings"):
        list(Token.objects.filter(token=rhs))


def test_in_lookup_refuses_a_bare_string() -> None:
    with pytest.raises(FieldError, match="list of strings"):
        list(Token.objects.filter(token__in="tok"))


def test_isnull_works_on_a_randomized_field() -> None:
    Secret.objects.create(value=None)
    Secret.objects.create(value="")
    assert Secret.objects.filter(value__isnull=True).count() == 1
    assert Secret.objects.exclude(value__isnull=True).get().value == ""


def test_equals_none_means_isnull_on_a_randomized_field() -> None:
    Secret.objects.create(value=None)
    Secret.objects.create(value="set")
    assert Secret.objects.filter(value=None).get().value is None
    assert Secret.objects.exclude(value=None).get().value == "set"


def test_empty_in_lookup_matches_nothing() -> None:
    Token.objects.create(token="tok")
    assert list(Token.objects.filter(token__in=[])) == []
    assert Token.objects.exclude(token__in=[]).count() == 1


@pytest.mark.parametrize("ordering", ["value", "-value", F("value").desc(), F("value")], ids=str)
def test_order_by_an_encrypted_field_raises(ordering: Any) -> None:
    with pytest.raises(FieldError, match="ordering cannot be evaluated"):
        Secret.objects.order_by("note", ordering)


def test_order_by_across_a_relation_to_an_encrypted_field_raises() -> None:
    from settings_app.models import AuditEvent, Setting

    with pytest.raises(FieldError, match="ordering"):
        Setting.objects.order_by("updated_by__username", "value")
    assert AuditEvent.objects.order_by("-created_at").query is not None


def test_order_by_other_fields_still_works() -> None:
    Secret.objects.create(value="b", note="2")
    Secret.objects.create(value="a", note="1")
    assert [s.value for s in Secret.objects.order_by("-note", "pk", "?")[:2]] == ["b", "a"]


# --- field API -----------------------------------------------------------------------------
@pytest.mark.parametrize("deterministic", [False, True])
def test_deconstruct_round_trips_the_deterministic_option(deterministic: bool) -> None:
    _, path, args, kwargs = EncryptedTextField(deterministic=deterministic).deconstruct()
    assert path == "settings_app.fields.EncryptedTextField"
    assert ("deterministic" in kwargs) == deterministic
    assert EncryptedTextField(*args, **kwargs).deterministic == deterministic


def test_model_form_saves_ciphertext() -> None:
    form = modelform_factory(Secret, fields=["value"])(data={"value": "sk-from-a-form"})
    assert form.is_valid(), form.errors
    row = form.save()
    assert "sk-from-a-form" not in raw(row)
    assert Secret.objects.get(pk=row.pk).value == "sk-from-a-form"


def test_model_form_refuses_an_envelope_as_input() -> None:
    form = modelform_factory(Secret, fields=["value"])(data={"value": "$kv1$r$00000000$AAAA"})
    assert not form.is_valid()
    assert "reserved" in str(form.errors["value"])


def test_bulk_create_and_bulk_update_encrypt() -> None:
    rows = Secret.objects.bulk_create([Secret(value="bulk-1"), Secret(value="bulk-2")])
    rows = list(Secret.objects.order_by("pk"))
    assert [row.value for row in rows] == ["bulk-1", "bulk-2"]
    for row in rows:
        row.value = str(row.value).replace("bulk", "changed")
    Secret.objects.bulk_update(rows, ["value"])
    assert all(raw(row).startswith("$kv1$r$") for row in rows)
    assert set(Secret.objects.values_list("value", flat=True)) == {"changed-1", "changed-2"}


def test_queryset_update_encrypts() -> None:
    row = Secret.objects.create(value="before")
    Secret.objects.filter(pk=row.pk).update(value="after-update")
    assert "after-update" not in raw(row)
    assert Secret.objects.get(pk=row.pk).value == "after-update"


def test_values_and_values_list_decrypt() -> None:
    Secret.objects.create(value="listed", note="n")
    assert list(Secret.objects.values_list("value", flat=True)) == ["listed"]
    assert list(Secret.objects.values("value", "note")) == [{"value": "listed", "note": "n"}]


@pytest.mark.parametrize("deferring", [lambda qs: qs.only("note"), lambda qs: qs.defer("value")])
def test_deferred_value_is_decrypted_when_loaded(deferring: Any) -> None:
    row = Secret.objects.create(value="deferred")
    assert deferring(Secret.objects.filter(pk=row.pk)).get().value == "deferred"


@pytest.mark.parametrize(("model", "field"), [(Secret, "value"), (Token, "token")])
def test_dumpdata_writes_ciphertext_and_loaddata_restores_plaintext(
    tmp_path: Path, model: Any, field: str
) -> None:
    model.objects.create(**{field: "sk-dump-me-0001"})
    dump = io.StringIO()
    call_command("dumpdata", model._meta.label, stdout=dump)
    assert "dump-me" not in dump.getvalue()
    assert json.loads(dump.getvalue())[0]["fields"][field].startswith("$kv1$")
    model.objects.all().delete()
    fixture = tmp_path / "dump.json"
    fixture.write_text(dump.getvalue())
    call_command("loaddata", str(fixture), stdout=io.StringIO())
    loaded = model.objects.get()
    assert getattr(loaded, field) == "sk-dump-me-0001"
    assert model._meta.get_field(field).cipher().decrypt(raw(loaded, field)) == "sk-dump-me-0001"


# --- unreadable rows: one bad value is one row's problem -----------------------------------
def test_an_unreadable_row_loads_and_the_others_read_as_usual() -> None:
    good, bad, after = (Secret.objects.create(value=f"sk-row-{n}") for n in range(3))
    write_raw(bad, raw(bad)[:-6])

    rows = {row.pk: row.value for row in Secret.objects.all()}

    assert rows[good.pk] == "sk-row-0" and rows[after.pk] == "sk-row-2"
    assert isinstance(rows[bad.pk], fields.UnreadableValue)
    assert rows[bad.pk].reason == DecryptionReason.FAILED_AUTHENTICATION
    assert rows[bad.pk].key_id == key_id(raw(good))


def unreadable_plaintext_row() -> Any:
    """The value of a row holding plaintext while plaintext support is off."""
    row = Secret.objects.create(value="sk-unusable-0123456789")
    write_raw(row, "sk-plaintext-where-ciphertext-belongs")
    return Secret.objects.get(pk=row.pk).value


@pytest.mark.parametrize(
    "use",
    [
        str,
        format,
        bool,
        len,
        lambda v: v + "x",
        lambda v: "x" + v,
        lambda v: v.encode(),
        lambda v: f"Bearer {v}",
    ],
    ids=["str", "format", "bool", "len", "concat", "rconcat", "method", "f-string"],
)
def test_an_unreadable_value_raises_its_decryption_error_when_used(use: Any) -> None:
    value = unreadable_plaintext_row()

    with pytest.raises(DecryptionError) as raised:
        use(value)

    assert raised.value.reason == DecryptionReason.NOT_ENCRYPTED
    assert "sk-plaintext" not in str(raised.value)


def test_an_unreadable_value_repr_shows_the_reason_and_nothing_stored() -> None:
    shown = repr(unreadable_plaintext_row())

    assert shown == "<UnreadableValue: not_encrypted>"


def test_values_list_never_gives_ciphertext_for_an_unreadable_row() -> None:
    row = Secret.objects.create(value="sk-listed-0123456789")
    envelope = raw(row)
    write_raw(row, envelope[:-6])

    [listed] = Secret.objects.values_list("value", flat=True)

    assert not isinstance(listed, str)
    with pytest.raises(DecryptionError):
        str(listed)


def test_an_unreadable_value_is_never_written_back() -> None:
    row = Secret.objects.create(value="sk-keep-0123456789", note="a")
    write_raw(row, raw(row)[:-6])
    damaged = raw(row)
    loaded = Secret.objects.get(pk=row.pk)

    with pytest.raises(DecryptionError):
        loaded.save()
    loaded.note = "b"
    loaded.save(update_fields=["note"])  # other columns can still change

    assert raw(row) == damaged
    assert Secret.objects.get(pk=row.pk).note == "b"


def test_an_unreadable_row_can_be_deleted_and_replaced() -> None:
    row = Secret.objects.create(value="sk-gone-0123456789")
    other = Secret.objects.create(value="sk-replace-me-0123")
    write_raw(row, raw(row)[:-6])
    write_raw(other, raw(other)[:-6])

    Secret.objects.filter(pk=row.pk).delete()
    replaced = Secret.objects.get(pk=other.pk)
    replaced.value = "sk-replaced-0123456789"
    replaced.save()

    assert not Secret.objects.filter(pk=row.pk).exists()
    assert Secret.objects.get(pk=other.pk).value == "sk-replaced-0123456789"


def test_a_key_configuration_error_still_stops_the_read(settings: Settings) -> None:
    Secret.objects.create(value="sk-config-0123456789")
    settings.KEYVAULT_PRIMARY_KEY = "too-short"

    with pytest.raises(KeyConfigurationError):
        list(Secret.objects.all())


# --- envelopes are opened by loaddata and reencrypt only, never from input -----------------
def stolen_envelope(plaintext: str = "sk-stolen-0123456789") -> str:
    """A genuine ciphertext of Secret.value, as a dump or a backup would hold it."""
    source = Secret.objects.create(value=plaintext)
    return str(raw(source))


@pytest.mark.parametrize(
    "write",
    [
        lambda envelope: Secret.objects.create(value=envelope),
        lambda envelope: Secret(value=envelope).save(),
        lambda envelope: Secret.objects.bulk_create([Secret(value=envelope)]),
        lambda envelope: Secret.objects.update(value=envelope),
        lambda envelope: Secret.objects.update_or_create(note="x", defaults={"value": envelope}),
    ],
    ids=["create", "save", "bulk_create", "update", "update_or_create"],
)
def test_orm_input_never_opens_an_envelope(write: Any) -> None:
    envelope = stolen_envelope()
    before = {row.pk: raw(row) for row in Secret.objects.all()}

    with pytest.raises(ValidationError, match=r"start with '\$kv'.*reserved"), transaction.atomic():
        write(envelope)

    assert {row.pk: raw(row) for row in Secret.objects.all()} == before


def test_a_model_form_never_opens_an_envelope_of_its_field() -> None:
    envelope = stolen_envelope()

    form = modelform_factory(Secret, fields=["value"])(data={"value": envelope})

    assert not form.is_valid()
    assert "reserved" in str(form.errors["value"])
    assert Secret.objects.count() == 1


def test_a_deterministic_lookup_never_opens_an_envelope() -> None:
    row = Token.objects.create(token="tok-secret-0123")

    assert not Token.objects.filter(token=raw(row, "token")).exists()
    assert not Token.objects.filter(token__in=[raw(row, "token")]).exists()
    assert Token.objects.filter(token="tok-secret-0123").get() == row


@pytest.mark.parametrize("value", ["mypw-kv1$abcdef0123", "x$kv1$r$00000000$AAAA", "kv1$r$AAAA"])
def test_only_the_real_prefix_is_reserved(value: str) -> None:
    row = Secret.objects.create(value=value)
    form = modelform_factory(Secret, fields=["value"])(data={"value": value})

    assert Secret.objects.get(pk=row.pk).value == value
    assert form.is_valid(), form.errors


def test_loaddata_refuses_an_envelope_of_another_field(tmp_path: Path) -> None:
    foreign = OtherSecret.objects.create(value="sk-elsewhere-0123")
    fixture = tmp_path / "forged.json"
    entry = {"model": "testapp.secret", "pk": 999, "fields": {"value": raw(foreign), "note": ""}}
    fixture.write_text(json.dumps([entry]))

    with pytest.raises(DecryptionError, match="failed authentication"):
        call_command("loaddata", str(fixture), stdout=io.StringIO())

    assert not Secret.objects.filter(pk=999).exists()
