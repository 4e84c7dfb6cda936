"""The Active Record Encryption decryptor: Rails' published vector and Rails-shaped fixtures."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settings_app.importers.errors import RailsDecryptionError
from settings_app.importers.rails_crypto import (
    RailsDecryptor,
    RailsKeySet,
    derive_keys,
    looks_encrypted,
)
from tests.importers import rails_encrypt
from tests.importers.conftest import (
    DETERMINISTIC,
    OLD_PRIMARY,
    PRIMARY,
    RAILS_KEYS,
    SALT,
    rails_encrypted,
)
from tests.importers.rails_encrypt import LONG_KEY, RAILS_VECTOR

RAILS_TEST_KEYS = RailsKeySet(
    ("test master key",), "test deterministic key", "testing key derivation salt"
)

DECRYPTOR = RailsDecryptor.from_key_sets([RAILS_KEYS])


def decrypt(text: str) -> str:
    return DECRYPTOR.decrypt(text).text


def message(text: str) -> dict:
    return json.loads(text)


def reencoded(text: str, **headers: object) -> str:
    data = message(text)
    data["h"].update(headers)
    return json.dumps(data)


def test_rails_published_vector_decrypts_to_dune():
    decrypted = RailsDecryptor.from_key_sets([RAILS_TEST_KEYS]).decrypt(RAILS_VECTOR)
    assert decrypted.text == "Dune"
    assert decrypted.key_label == "deterministic key, SHA-1"  # Rails' test config: SHA-1


def test_published_vector_fails_under_another_salt():
    other = RailsKeySet(("test master key",), "test deterministic key", "another salt")
    with pytest.raises(RailsDecryptionError, match="authentication failed"):
        RailsDecryptor.from_key_sets([other]).decrypt(RAILS_VECTOR)


@pytest.mark.parametrize(
    ("options", "label"),
    [
        ({}, "primary key 2, SHA-256"),
        ({"digest": "sha1"}, "primary key 2, SHA-1"),
        ({"password": OLD_PRIMARY}, "primary key 1, SHA-256"),
        ({"password": OLD_PRIMARY, "digest": "sha1"}, "primary key 1, SHA-1"),
        ({"password": DETERMINISTIC, "deterministic": True}, "deterministic key, SHA-256"),
        ({"key_reference": True}, "primary key 2, SHA-256"),
        ({"envelope": True}, "data key under primary key 2, SHA-256"),
        ({"envelope": True, "key_reference": True}, "data key under primary key 2, SHA-256"),
        ({"envelope": True, "digest": "sha1"}, "data key under primary key 2, SHA-1"),
    ],
    ids=[
        "sha256",
        "sha1",
        "previous-key",
        "previous-key-sha1",
        "deterministic",
        "key-reference",
        "envelope",
        "envelope-with-reference",
        "envelope-sha1",
    ],
)
def test_decrypts_what_rails_writes(options, label):
    value = "sk-proj-rails-written-0123456789abcdef"
    decrypted = DECRYPTOR.decrypt(rails_encrypted(value, **options))
    assert (decrypted.text, decrypted.key_label) == (value, label)


def test_long_values_are_compressed_and_inflated():
    ciphertext = rails_encrypted(LONG_KEY)
    headers = message(ciphertext)["h"]
    assert headers["c"] is True
    assert len(base64.b64decode(message(ciphertext)["p"])) < len(LONG_KEY)
    assert decrypt(ciphertext) == LONG_KEY


def test_short_values_are_not_compressed():
    assert "c" not in message(rails_encrypted("sk-proj-short-one-123"))["h"]


def test_non_utf8_encoding_header_is_honoured():
    value = "clé-secrète-0123456789"
    ciphertext = rails_encrypted(value, encoding="ISO-8859-1")
    assert base64.b64decode(message(ciphertext)["h"]["e"]) == b"ISO-8859-1"
    assert decrypt(ciphertext) == value


def test_deterministic_encryption_is_stable_and_decrypts():
    first = rails_encrypted("sk-proj-same-every-time", password=DETERMINISTIC, deterministic=True)
    second = rails_encrypted("sk-proj-same-every-time", password=DETERMINISTIC, deterministic=True)
    assert first == second
    assert decrypt(first) == "sk-proj-same-every-time"


def test_key_reference_selects_only_the_named_key():
    ciphertext = rails_encrypted("sk-proj-referenced-key-0001", key_reference=True)
    only_old = RailsKeySet((OLD_PRIMARY,), None, SALT)
    with pytest.raises(RailsDecryptionError, match=r"id is '[0-9a-f]{4}'.*none of the given keys"):
        RailsDecryptor.from_key_sets([only_old]).decrypt(ciphertext)


def test_envelope_payload_is_under_the_data_key_not_a_primary_key():
    data = message(rails_encrypted("sk-proj-enveloped-0000001", envelope=True))
    assert set(data["h"]["k"]) == {"p", "h"}  # the encrypted data key, itself a message
    del data["h"]["k"]
    with pytest.raises(RailsDecryptionError, match="authentication failed"):
        decrypt(json.dumps(data))


def test_several_key_sets_are_all_tried():
    other = RailsKeySet(("another app primary key 000000000",), None, "another salt 0000000")
    ciphertext = rails_encrypt.encrypt(
        "sk-proj-from-the-other-app", password=other.primary_keys[0], salt=other.key_derivation_salt
    )
    both = RailsDecryptor.from_key_sets([RAILS_KEYS, other])
    assert both.decrypt(ciphertext).text == "sk-proj-from-the-other-app"


# --- tampering and malformed values ------------------------------------------------------------


def flip_payload_bit(text: str) -> str:
    data = message(text)
    payload = bytearray(base64.b64decode(data["p"]))
    payload[0] ^= 1
    data["p"] = base64.b64encode(bytes(payload)).decode()
    return json.dumps(data)


@pytest.mark.parametrize(
    "tamper",
    [
        rails_encrypt.tamper_tag,
        flip_payload_bit,
        lambda text: reencoded(text, iv=base64.b64encode(b"\x00" * 12).decode()),
    ],
    ids=["tag", "payload", "iv"],
)
def test_tampering_fails_authentication(tamper):
    with pytest.raises(RailsDecryptionError, match="authentication failed"):
        decrypt(tamper(rails_encrypted("sk-proj-untouched-value-01")))


def test_tampered_envelope_data_key_fails():
    ciphertext = rails_encrypted("sk-proj-enveloped-0000002", envelope=True)
    data = message(ciphertext)
    data["h"]["k"] = message(rails_encrypt.tamper_tag(json.dumps(data["h"]["k"])))
    with pytest.raises(RailsDecryptionError, match="authentication failed"):
        decrypt(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"at": base64.b64encode(b"\x00" * 12).decode()}, "auth tag"),  # truncated tag
        ({"at": None}, "auth tag"),
        ({"iv": base64.b64encode(b"\x00" * 16).decode()}, "iv"),
        ({"iv": "wEPaDcJP3VNIxaiz\n"}, "strict base64"),  # Ruby's strict_decode64 refuses
        ({"iv": "wEPaDcJP3VNIxai"}, "strict base64"),  # missing padding
        ({"iv": "wEPaDcJP3VNIxa_z"}, "strict base64"),  # URL-safe alphabet
        ({"at": "X7+2xvvcu1k1if6Dy28Esx=="}, "canonical"),  # non-zero unused bits
        ({"e": base64.b64encode(b"KLINGON-8").decode()}, "encoding 'KLINGON-8'"),
        ({"e": 7}, "encoding header"),
        # Codecs Python knows that are no text encodings (issue 22): a reason, not a LookupError.
        ({"e": base64.b64encode(b"rot13").decode()}, "rot13"),
        ({"e": base64.b64encode(b"undefined").decode()}, "undefined"),
        ({"e": base64.b64encode(b"base64").decode()}, "base64"),
        ({"k": "bm90IGEgbWVzc2FnZQ=="}, "data key"),
    ],
)
def test_malformed_headers_are_refused_with_a_reason(change, reason):
    with pytest.raises(RailsDecryptionError, match=reason):
        decrypt(reencoded(rails_encrypted("sk-proj-will-be-malformed-1"), **change))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sk-proj-plain", "not JSON"),
        ('{"h": {}}', "without a payload"),
        ('["p"]', "without a payload"),
        ('{"p": "not base64!"}', "strict base64"),
        ('{"p": 5, "h": {}}', "payload"),
        ('{"p": "", "h": []}', "headers"),
        ('{"p": "", "h": {"x": {"p": "", "h": {"y": {"p": ""}}}}}', "more than one level"),
    ],
)
def test_values_that_are_not_messages_are_refused(text, reason):
    with pytest.raises(RailsDecryptionError, match=reason):
        decrypt(text)


def test_compression_bomb_is_refused():
    bomb = zlib.compress(b"\x00" * (10 * 1024 * 1024))
    key = rails_encrypt.derive(PRIMARY, SALT)
    sealed = rails_encrypt.seal(key, bomb, deterministic=False)
    sealed["h"]["c"] = True
    with pytest.raises(RailsDecryptionError, match="inflates past"):
        decrypt(json.dumps(sealed))


def test_corrupt_compressed_payload_is_refused():
    key = rails_encrypt.derive(PRIMARY, SALT)
    sealed = rails_encrypt.seal(key, b"definitely not zlib", deterministic=False)
    sealed["h"]["c"] = True
    with pytest.raises(RailsDecryptionError, match="corrupt"):
        decrypt(json.dumps(sealed))


def test_invalid_utf8_plaintext_is_refused():
    key = rails_encrypt.derive(PRIMARY, SALT)
    sealed = rails_encrypt.seal(key, b"\xff\xfe-not-text", deterministic=False)
    with pytest.raises(RailsDecryptionError, match="not valid UTF-8"):
        decrypt(json.dumps(sealed))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RAILS_VECTOR, True),
        ('{"p": "x"}', True),
        ("sk-proj-legacy-plaintext", False),
        ('{"key": "value"}', False),
        ("[1, 2]", False),
        ("", False),
    ],
)
def test_looks_encrypted_tells_messages_from_legacy_plaintext(text, expected):
    assert looks_encrypted(text) is expected


def test_reprs_and_errors_hold_no_key_material():
    value = "sk-proj-never-in-a-repr-000001"
    decrypted = DECRYPTOR.decrypt(rails_encrypted(value))
    shown = repr(decrypted) + repr(DECRYPTOR) + repr(RAILS_KEYS) + repr(derive_keys(RAILS_KEYS))
    for secret in (value, PRIMARY, OLD_PRIMARY, DETERMINISTIC, SALT):
        assert secret not in shown
    with pytest.raises(RailsDecryptionError) as caught:
        decrypt(rails_encrypt.tamper_tag(rails_encrypted(value)))
    assert value not in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(
    value=st.text(min_size=1, max_size=400),
    options=st.sampled_from(
        [{}, {"digest": "sha1"}, {"envelope": True}, {"key_reference": True}, {"compress": False}]
    ),
)
def test_round_trip_any_text(value, options):
    assert decrypt(rails_encrypted(value, **options)) == value
