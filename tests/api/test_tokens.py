"""The token format: recognisable, checksummed, random; stored only as a keyed hash."""

from __future__ import annotations

import re

import pytest

from settings_app.api import tokens


def test_a_token_is_kvt_plus_256_random_bits_and_a_checksum() -> None:
    token = tokens.generate()
    assert token.startswith("kvt_")
    assert len(token) == 53
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert tokens.is_well_formed(token)


def test_tokens_never_repeat() -> None:
    assert len({tokens.generate() for _ in range(2000)}) == 2000


def test_scanners_find_a_token_in_text() -> None:
    token = tokens.generate()
    text = f"export KEYVAULT_TOKEN={token}\nother line"
    assert tokens.TOKEN_PATTERN.findall(text) == [token]


def _flip(char: str) -> str:
    return "B" if char != "B" else "C"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda t: t[:-1], id="truncated"),
        pytest.param(lambda t: t + "A", id="one character too many"),
        pytest.param(lambda t: "kvx_" + t[4:], id="wrong prefix"),
        pytest.param(lambda t: t[:10] + _flip(t[10]) + t[11:], id="typo in the body"),
        pytest.param(lambda t: t[:-2] + _flip(t[-2]) + t[-1], id="typo in the checksum"),
        pytest.param(lambda t: t[:20] + "+" + t[21:], id="character outside base64url"),
        pytest.param(lambda t: t.upper(), id="upper-cased"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: f" {t}", id="leading space"),
    ],
)
def test_malformed_tokens_are_recognised_without_a_database(damage) -> None:
    assert not tokens.is_well_formed(damage(tokens.generate()))


def test_the_stored_hash_is_keyed_by_secret_key(settings) -> None:
    token = tokens.generate()
    first = tokens.token_hash(token)
    assert re.fullmatch(r"[0-9a-f]{64}", first) and token not in first
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert tokens.token_hash(token) != first  # a database writer cannot compute it


def test_a_rotated_secret_key_in_the_fallbacks_still_finds_the_token(settings) -> None:
    token = tokens.generate()
    old = tokens.token_hash(token)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-for-this-test-only-0123456789abcdef"
    assert old in tokens.candidate_hashes(token)
