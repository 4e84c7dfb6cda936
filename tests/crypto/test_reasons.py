"""Each way a value is refused has its own reason, and `classify` reports what that reason says.

The core names the field and key id, never a setting or a command: that advice is the app's
(tests/encryption/test_key_advice.py).
"""

from __future__ import annotations

import pytest

from settings_app.crypto import DecryptionError, DecryptionReason
from tests.crypto.keysets import CIPHER_FACTORIES, CONTEXT, make_keyset
from tests.crypto.refusals import BAD_INPUTS, key_id_cut_short
from tests.support.keys import TEST_KEYS, test_key

APP_WORDS = ["KEYVAULT_", "manage.py", "reencrypt", "init_encryption", "Django", "setting"]


@pytest.fixture(params=sorted(CIPHER_FACTORIES))
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_reason_has_a_bad_input() -> None:
    assert {bad.reason for bad in BAD_INPUTS.values()} == set(DecryptionReason)


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_each_bad_input_is_refused_with_its_reason(mode: str, name: str) -> None:
    bad, cipher = BAD_INPUTS[name], CIPHER_FACTORIES[mode]()
    text = bad.make(mode, cipher)
    with pytest.raises(DecryptionError) as raised:
        cipher.decrypt(text)
    error = raised.value
    assert (error.reason, error.context) == (bad.reason, CONTEXT)
    assert error.key_id == (cipher.key_id_of(text) if bad.names_a_key else None)
    assert error.key_id is None or error.key_id in str(error)
    assert str(error).startswith(CONTEXT) and str(error) == error.problem


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_classify_reports_the_state_the_reason_implies(mode: str, name: str) -> None:
    bad = BAD_INPUTS[name]
    for allow_plaintext in (False, True):
        cipher = CIPHER_FACTORIES[mode](allow_plaintext=allow_plaintext)
        assert cipher.classify(bad.make(mode, cipher)) == bad.state


def test_classify_tells_current_from_fallback(mode: str) -> None:
    old = CIPHER_FACTORIES[mode]()
    rotated = make_keyset(
        test_key("new p"),
        test_key("new d"),
        primary_fallbacks=[TEST_KEYS["primary"]],
        deterministic_fallbacks=[TEST_KEYS["deterministic"]],
    )
    cipher = CIPHER_FACTORIES[mode](rotated)
    assert cipher.classify(old.encrypt("x")) == "fallback"
    assert cipher.classify(cipher.encrypt("x")) == "current"


def test_key_id_of_reads_only_a_readable_header(mode: str) -> None:
    cipher = CIPHER_FACTORIES[mode]()
    assert cipher.key_id_of(cipher.encrypt("x")) == cipher.current_key_id
    assert cipher.key_id_of(key_id_cut_short(mode, cipher)) is None
    assert cipher.key_id_of("sk-plain") is None


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_messages_hold_no_advice_of_the_app(mode: str, name: str) -> None:
    cipher = CIPHER_FACTORIES[mode]()
    with pytest.raises(DecryptionError) as raised:
        cipher.decrypt(BAD_INPUTS[name].make(mode, cipher))
    assert raised.value.advice == ""
    assert [word for word in APP_WORDS if word.lower() in str(raised.value).lower()] == []


def test_the_callers_advice_ends_the_message_once(mode: str) -> None:
    advice = {reason: f"Do the {reason.value} thing." for reason in DecryptionReason}
    cipher = CIPHER_FACTORIES[mode](advice=advice)
    for name, bad in BAD_INPUTS.items():
        with pytest.raises(DecryptionError) as raised:
            cipher.decrypt(bad.make(mode, cipher))
        error = raised.value
        assert error.advice == advice[bad.reason], name
        assert str(error) == f"{error.problem} {error.advice}"
        assert advice[bad.reason] not in error.problem
