"""Every damaged, misplaced or foreign ciphertext ends in DecryptionError, never in a value."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings_app.crypto import DecryptionError, DecryptionReason
from settings_app.crypto.envelope import MARKER
from tests.crypto.damage import DAMAGE, PLAINTEXTS, bit_flips, truncations
from tests.crypto.keysets import (
    CIPHER_FACTORIES,
    CONTEXT,
    Cipher,
    deterministic,
    make_keyset,
    randomized,
)
from tests.support.keys import TEST_KEYS, test_key


def outcomes(cipher: Cipher, damaged: Iterable[str]) -> list[tuple[str, str]]:
    """(damaged text, what happened) for every text that did not raise DecryptionError."""
    wrong = []
    for text in damaged:
        try:
            wrong.append((text, f"read as {cipher.decrypt(text)!r}"))
        except DecryptionError:
            pass
        except Exception as error:  # any other type is a failure of the contract
            wrong.append((text, f"raised {type(error).__name__}"))
    return wrong


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
def test_damaged_envelopes_raise_decryption_error(mode: str, damage: str) -> None:
    cipher = CIPHER_FACTORIES[mode]()
    for plaintext in PLAINTEXTS:
        assert outcomes(cipher, DAMAGE[damage](cipher.encrypt(plaintext))) == []


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
def test_damaged_envelopes_are_never_read_as_legacy_plaintext(mode: str, damage: str) -> None:
    cipher = CIPHER_FACTORIES[mode](allow_plaintext=True)
    for plaintext in PLAINTEXTS:
        damaged = DAMAGE[damage](cipher.encrypt(plaintext))
        # Prefixes shorter than the marker ("", "$", "$k") are legacy plaintext by design.
        assert outcomes(cipher, (t for t in damaged if len(t) >= len(MARKER))) == []


@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
@given(plaintext=st.text(), position=st.integers(0), junk=st.text(min_size=1), cut=st.booleans())
def test_random_splices_raise_decryption_error(
    mode: str, plaintext: str, position: int, junk: str, cut: bool
) -> None:
    cipher = CIPHER_FACTORIES[mode]()
    envelope = cipher.encrypt(plaintext)
    position %= len(envelope) + 1
    spliced = envelope[:position] + junk + envelope[position + cut :]
    if spliced != envelope:
        assert outcomes(cipher, [spliced]) == []


def test_wrong_key_with_the_same_key_id_fails_authentication() -> None:
    ours, theirs = randomized(), randomized(make_keyset(primary=test_key("attacker")))
    forged = ours.encrypt("x")[:16] + theirs.encrypt("x")[16:]
    with pytest.raises(DecryptionError, match="failed authentication"):
        ours.decrypt(forged)


@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
def test_wrong_key_set_names_the_unknown_key_id(mode: str) -> None:
    foreign = CIPHER_FACTORIES[mode](make_keyset(test_key("p2"), test_key("d2"), test_key("s2")))
    envelope = foreign.encrypt("x")
    with pytest.raises(DecryptionError, match=foreign.current_key_id):
        CIPHER_FACTORIES[mode]().decrypt(envelope)


def test_a_removed_fallback_is_an_unknown_key_id() -> None:
    old = randomized()
    rotated = make_keyset(primary=test_key("new"), primary_fallbacks=[TEST_KEYS["primary"]])
    envelope = old.encrypt("x")
    assert randomized(rotated).decrypt(envelope) == "x"
    with pytest.raises(DecryptionError, match=old.current_key_id) as raised:
        randomized(make_keyset(primary=test_key("new"))).decrypt(envelope)
    assert (raised.value.reason, raised.value.key_id) == (
        DecryptionReason.UNKNOWN_KEY,
        old.current_key_id,
    )


@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
@pytest.mark.parametrize("elsewhere", ["testapp.OtherSecret.value", "testapp.Secret.other"])
def test_ciphertext_moved_to_another_field_fails(mode: str, elsewhere: str) -> None:
    envelope = CIPHER_FACTORIES[mode](context=CONTEXT).encrypt("x")
    with pytest.raises(DecryptionError, match="failed authentication"):
        CIPHER_FACTORIES[mode](context=elsewhere).decrypt(envelope)


def test_deterministic_envelope_in_a_randomized_field_names_the_mode() -> None:
    with pytest.raises(DecryptionError, match=r"mode 'd' .* where mode 'r' is expected") as raised:
        randomized().decrypt(deterministic().encrypt("x"))
    assert raised.value.reason is DecryptionReason.WRONG_MODE


def test_future_format_version_is_refused() -> None:
    with pytest.raises(DecryptionError, match="format version '2'"):
        randomized(allow_plaintext=True).decrypt("$kv2$r$00000000$AAAA")


@pytest.mark.parametrize("mode", sorted(CIPHER_FACTORIES))
def test_errors_never_quote_the_plaintext(mode: str) -> None:
    cipher = CIPHER_FACTORIES[mode]()
    envelope = cipher.encrypt("sk-very-secret-value")
    messages = []
    for text in [*bit_flips(envelope), *truncations(envelope), "sk-very-secret-value"]:
        with pytest.raises(DecryptionError) as raised:
            cipher.decrypt(text)
        messages.append(str(raised.value))
    assert not [m for m in messages if "very-secret" in m or envelope[16:40] in m]
