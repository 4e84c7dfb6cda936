"""Where the client finds its server and token, and the clear errors when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyvault_client import Client, ConfigurationError
from keyvault_client.config import cache_seconds, load
from tests.client.conftest import new_token

URL = "https://keyvault.example.com"


def test_url_and_token_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    token = new_token()
    monkeypatch.setenv("KEYVAULT_URL", URL + "/")
    monkeypatch.setenv("KEYVAULT_TOKEN", token)
    config = load()
    assert (config.url, config.token) == (URL, token)
    assert token not in repr(config)


def test_the_token_can_come_from_a_file(tmp_path: Path) -> None:
    token = new_token()
    (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
    assert load(URL, environ={"KEYVAULT_TOKEN_FILE": str(tmp_path / "token")}).token == token


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYVAULT_URL", "https://elsewhere.example.com")
    monkeypatch.setenv("KEYVAULT_TOKEN", new_token())
    token = new_token()
    config = load(URL, token)
    assert (config.url, config.token) == (URL, token)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "KEYVAULT_URL is not set"),
        ({"KEYVAULT_URL": URL}, "No keyvault token: set KEYVAULT_TOKEN"),
        (
            {"KEYVAULT_URL": URL, "KEYVAULT_TOKEN": "kvt_" + "a" * 40, "KEYVAULT_TOKEN_FILE": "/x"},
            "set only one of them",
        ),
        ({"KEYVAULT_URL": URL, "KEYVAULT_TOKEN_FILE": "/nonexistent/token"}, "cannot be read"),
        ({"KEYVAULT_URL": "ftp://x.example.com", "KEYVAULT_TOKEN": "kvt_" + "a" * 40}, "https://"),
        ({"KEYVAULT_URL": "keyvault.example.com", "KEYVAULT_TOKEN": "kvt_" + "a" * 40}, "https://"),
        (
            {"KEYVAULT_URL": "https://u:p@x.example.com", "KEYVAULT_TOKEN": "kvt_" + "a" * 40},
            "must not carry a user",
        ),
    ],
)
def test_missing_or_wrong_configuration_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load(environ=environ)


def test_plain_http_is_refused_except_to_this_machine() -> None:
    token = new_token()
    with pytest.raises(ConfigurationError, match=r"plain http for keyvault\.internal"):
        load("http://keyvault.internal:8000", token)
    for local in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        assert load(local, token).url == local


@pytest.mark.parametrize(
    "bad", ["sk-proj-0123456789abcdefghijklmnop", "kvt_short", "kvt_" + "a" * 30 + "\nX-Evil: 1"]
)
def test_a_malformed_token_is_refused_without_being_echoed(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"malformed|incomplete") as raised:
        load(URL, bad)
    assert bad.strip() not in str(raised.value)


def test_cache_seconds_comes_from_the_environment() -> None:
    assert cache_seconds(None, environ={}) == 60
    assert cache_seconds(None, environ={"KEYVAULT_CACHE_SECONDS": "2.5"}) == 2.5
    assert cache_seconds(7, environ={"KEYVAULT_CACHE_SECONDS": "2.5"}) == 7
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ConfigurationError, match="KEYVAULT_CACHE_SECONDS"):
            cache_seconds(None, environ={"KEYVAULT_CACHE_SECONDS": bad})


def test_client_options_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="stale_if_error"):
        Client(URL, new_token(), stale_if_error=-1)
    with pytest.raises(ConfigurationError, match="cache_seconds"):
        Client(URL, new_token(), cache_seconds=-5)
