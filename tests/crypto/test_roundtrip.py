"""Both ciphers give back exactly what they were given, for any text."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings_app.crypto.envelope import HEADER_LENGTH, NONCE_BYTES
from tests.crypto.keysets import CIPHER_FACTORIES, Cipher, deterministic, randomized

CIPHERS = {mode: factory() for mode, factory in CIPHER_FACTORIES.items()}
LONG_UNICODE = ("sk-é€😀\x00ß中" * 8192)[: 64 * 1024]  # 64 KiB characters, up to 4 bytes each


@pytest.fixture(params=sorted(CIPHERS))
def cipher(request: pytest.FixtureRequest) -> Cipher:
    return CIPHERS[request.param]


@pytest.mark.parametrize("mode", sorted(CIPHERS))
@given(plaintext=st.text())
def test_any_text_round_trips(mode: str, plaintext: str) -> None:
    cipher = CIPHERS[mode]
    assert cipher.decrypt(cipher.encrypt(plaintext)) == plaintext


@pytest.mark.parametrize("plaintext", ["", "\x00", LONG_UNICODE])
def test_edge_values_round_trip(cipher: Cipher, plaintext: str) -> None:
    envelope = cipher.encrypt(plaintext)
    assert envelope.isascii()
    assert cipher.decrypt(envelope) == plaintext


def test_empty_string_is_encrypted(cipher: Cipher) -> None:
    envelope = cipher.encrypt("")
    assert envelope.startswith(f"$kv1${cipher.mode}${cipher.current_key_id}$")
    assert len(envelope) > HEADER_LENGTH


def test_lone_surrogate_is_refused_without_quoting_it(cipher: Cipher) -> None:
    with pytest.raises(ValueError, match="surrogate") as raised:
        cipher.encrypt("sk-\ud800-secret")
    assert "\ud800" not in str(raised.value)
    assert "sk-" not in str(raised.value)


def test_a_thousand_encryptions_use_a_thousand_nonces() -> None:
    cipher = randomized()
    envelopes = {cipher.encrypt("the same value") for _ in range(1000)}
    nonces = {base64.b64decode(e[HEADER_LENGTH:])[:NONCE_BYTES] for e in envelopes}
    assert len(envelopes) == len(nonces) == 1000


@given(first=st.text(), second=st.text())
def test_deterministic_envelopes_are_equal_exactly_when_plaintexts_are(
    first: str, second: str
) -> None:
    cipher = deterministic()
    assert (cipher.encrypt(first) == cipher.encrypt(second)) == (first == second)


def test_deterministic_envelopes_depend_on_the_field() -> None:
    assert deterministic(context="a.B.c").encrypt("x") != deterministic(context="a.B.d").encrypt(
        "x"
    )
