"""The read hot path (EncryptedTextField's database converter) refuses what `decrypt` refuses.

The converter opens values under the current key itself, so these tests store other spellings
of valid envelopes and check the ORM still refuses them, in instance and `values_list` form.
"""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from settings_app.crypto import DecryptionError
from settings_app.crypto.envelope import HEADER_LENGTH
from settings_app.encryption.unreadable import UnreadableValue
from tests.support.raw_rows import raw, rotate_primary, write_raw
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def other_spelling(envelope: str) -> str:
    """The same bytes in non-canonical base64: unused bits set, or padding after a full quantum."""
    head, body = envelope[:HEADER_LENGTH], envelope[HEADER_LENGTH:]
    if not body.endswith("="):
        return head + body + "="
    last = len(body.rstrip("=")) - 1
    spelled = body[:last] + BASE64[BASE64.index(body[last]) | 1] + body[last + 1 :]
    if spelled == body:
        spelled = body[:last] + BASE64[BASE64.index(body[last]) ^ 1] + body[last + 1 :]
    return head + spelled


def read_both_ways(pk: int) -> list[str | None]:
    return [
        Secret.objects.get(pk=pk).value,
        *Secret.objects.filter(pk=pk).values_list("value", flat=True),
    ]


# Payloads of 28 + len(plaintext) bytes: 0, 1 and 2 bytes past a whole base64 quantum.
@pytest.mark.parametrize("plaintext", ["sk-a", "sk-ab", "sk-abc"])
def test_a_non_canonical_spelling_of_a_valid_envelope_is_refused(plaintext: str) -> None:
    row = Secret.objects.create(value=plaintext)
    envelope = raw(row)
    spelled = other_spelling(envelope)
    assert spelled != envelope
    assert binascii.a2b_base64(spelled[HEADER_LENGTH:]) == binascii.a2b_base64(
        envelope[HEADER_LENGTH:]
    )  # the same bytes: only the canonical-base64 rule can tell them apart
    write_raw(row, spelled)
    assert_fails_authentication(Secret.objects.get(pk=row.pk).value)
    (listed,) = Secret.objects.filter(pk=row.pk).values_list("value", flat=True)
    assert_fails_authentication(listed)


def test_current_key_fallback_key_and_null_rows_read_in_one_query(settings: Settings) -> None:
    old = Secret.objects.create(value="sk-under-the-old-key")
    rotate_primary(settings)
    new = Secret.objects.create(value="sk-under-the-new-key")
    empty = Secret.objects.create(value=None)
    assert raw(old)[:HEADER_LENGTH] != raw(new)[:HEADER_LENGTH]
    assert read_both_ways(old.pk) == ["sk-under-the-old-key"] * 2
    assert read_both_ways(new.pk) == ["sk-under-the-new-key"] * 2
    assert read_both_ways(empty.pk) == [None, None]


def test_an_envelope_moved_between_rows_still_reads_but_a_flipped_tag_does_not() -> None:
    first = Secret.objects.create(value="sk-first")
    second = Secret.objects.create(value="sk-second")
    write_raw(second, raw(first))  # same field, same key: rows are not bound to their pk
    assert read_both_ways(second.pk) == ["sk-first", "sk-first"]
    body = raw(first)[HEADER_LENGTH:]
    sealed = bytearray(binascii.a2b_base64(body))
    sealed[-1] ^= 1
    write_raw(
        first,
        raw(first)[:HEADER_LENGTH] + binascii.b2a_base64(bytes(sealed), newline=False).decode(),
    )
    assert_fails_authentication(Secret.objects.get(pk=first.pk).value)


def assert_fails_authentication(value: object) -> None:
    """The row loads (one bad row never stops a query), and using its value raises."""
    assert isinstance(value, UnreadableValue)
    with pytest.raises(DecryptionError, match="failed authentication"):
        str(value)


@given(
    plaintext=st.text(max_size=40),
    edits=st.lists(
        st.tuples(st.integers(min_value=-6, max_value=-1), st.sampled_from(BASE64 + "=!")),
        max_size=2,
    ),
    extra=st.sampled_from(["", "=", "==", "A", "AA=="]),
)
def test_the_column_reader_accepts_exactly_what_decrypt_accepts(
    plaintext: str, edits: list[tuple[int, str]], extra: str
) -> None:
    cipher = Secret._meta.get_field("value").cipher()
    text = list(cipher.encrypt(plaintext.encode("utf-8", "replace").decode()))
    for position, character in edits:
        text[position] = character
    stored = "".join(text) + extra
    read = cipher.column_reader()
    try:
        expected = cipher.decrypt(stored)
    except DecryptionError:
        with pytest.raises(DecryptionError):
            read(stored, None, None)
    else:
        assert read(stored, None, None) == expected
