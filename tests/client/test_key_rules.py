"""The client checks setting keys by the server's rules, kept in settings_app.constants."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from keyvault_client import protocol
from settings_app import constants
from settings_app.models import validate_setting_key

CANDIDATES = [chr(code) for code in range(0x20, 0x7F)] + ["é", "\u00a0", "\t", "\n", "٣"]


def server_accepts(key: str) -> bool:
    try:
        validate_setting_key(key)
    except ValidationError:
        return False
    return True


def client_accepts(key: str) -> bool:
    try:
        protocol.check_key(key)
    except ValueError:
        return False
    return True


def pattern_accepts(key: str) -> bool:
    return constants.KEY_PATTERN.fullmatch(key) is not None


def test_the_client_knows_the_servers_key_length() -> None:
    assert protocol.KEY_MAX_LENGTH == constants.KEY_MAX_LENGTH


@pytest.mark.parametrize("character", CANDIDATES)
def test_client_and_server_agree_on_each_character(character: str) -> None:
    key = f"a{character}b"
    assert client_accepts(key) == server_accepts(key) == (character in constants.KEY_CHARACTERS)
    assert pattern_accepts(key) == server_accepts(key)


@pytest.mark.parametrize("length", [0, 1, constants.KEY_MAX_LENGTH, constants.KEY_MAX_LENGTH + 1])
def test_client_and_server_agree_on_each_length(length: int) -> None:
    key = "k" * length
    assert client_accepts(key) == server_accepts(key) == pattern_accepts(key)
