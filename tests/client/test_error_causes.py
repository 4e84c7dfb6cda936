"""Client errors that point at their cause (issue 22, item 6): one line, the right exit
status, and what to do, never a traceback and never "try again later" for a wrong setting."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from keyvault_client import cli, config
from keyvault_client.errors import ConfigurationError
from tests.client.api_server import ApiServer
from tests.client.conftest import new_token, run_keyvault

pytestmark = pytest.mark.slow


@contextmanager
def raw_server(answer: bytes, *, trickle: float = 0.0) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every connection with `answer`, a byte every
    `trickle` seconds if given; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                for position in range(len(answer)):
                    if stop.is_set():
                        break
                    try:
                        connection.sendall(answer[position : position + 1] if trickle else answer)
                    except OSError:
                        break
                    if not trickle:
                        break
                    time.sleep(trickle)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)


def one_line(done) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_the_timeout_is_a_deadline_for_the_whole_answer() -> None:
    body = b'{"key": "a", "value": "' + b"x" * 100 + b'", "version": 1}'
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
    with raw_server(head + body, trickle=0.25) as url:  # ~40 s for the whole answer
        started = time.monotonic()
        done = run_keyvault("get", "a", url=url, token=new_token())
        took = time.monotonic() - started
    assert done.returncode == cli.EXIT_UNAVAILABLE
    assert "5 s" in one_line(done)
    assert took < 15  # the 5 s deadline and start-up, not one timeout per trickled byte


def test_a_port_out_of_range_is_a_configuration_error() -> None:
    done = run_keyvault("get", "a", url="http://127.0.0.1:99999", token=new_token())
    assert done.returncode == cli.EXIT_CONFIGURATION and "99999" in one_line(done)


@pytest.mark.parametrize("suffix", ["/api/v1", "/api/v1/", "/api"])
def test_an_api_path_in_the_url_says_it_must_be_the_site_root(suffix: str) -> None:
    with pytest.raises(ConfigurationError, match="site root"):
        config.load("https://keyvault.example.com" + suffix, new_token())


def test_an_html_404_says_the_url_must_be_the_site_root() -> None:
    page = b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n<h1>Not Found</h1>"
    with raw_server(page) as url:
        done = run_keyvault("get", "a", url=url + "/prefix", token=new_token())
    assert done.returncode == cli.EXIT_PROTOCOL and "site root" in one_line(done)


def test_https_against_a_plain_http_server_says_so(api_server: ApiServer) -> None:
    url = api_server.url.replace("http://", "https://")
    done = run_keyvault("get", "openai_api_key", url=url, token=api_server.token)
    line = one_line(done)
    assert done.returncode == cli.EXIT_CONFIGURATION
    assert "plain HTTP" in line and "try again later" not in line


@pytest.mark.parametrize("damage", ["truncate", "typo"])
def test_an_incomplete_or_mistyped_token_is_caught_by_its_checksum(damage: str) -> None:
    token = new_token()
    damaged = token[:-3] if damage == "truncate" else token[:10] + "Q" + token[11:]
    if damaged == token:
        damaged = token[:10] + "R" + token[11:]
    with pytest.raises(ConfigurationError, match="incomplete: copy it again"):
        config.load("https://keyvault.example.com", damaged)
    config.load("https://keyvault.example.com", token)  # the real one passes


@pytest.mark.parametrize("key", ["a b", "bad=key", "nul\u0000key"])
def test_a_setting_key_no_variable_can_carry_is_one_line(api_server: ApiServer, key: str) -> None:
    api_server.put(key, "value-of-a-crafted-setting")
    for args in (
        ["run", "--", "true"],
        ["run", "--env", "A=openai_api_key", "--all", "--", "true"],
    ):
        done = run_keyvault(*args, url=api_server.url, token=api_server.token)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, cli.EXIT_PROTOCOL), done.stderr


def test_a_value_no_variable_can_carry_is_one_line(api_server: ApiServer) -> None:
    api_server.put("nul_token", "value\u0000with-a-nul-byte")
    api_server.scope = ("nul_token",)
    done = run_keyvault("run", "--", "true", url=api_server.url, token=api_server.token)
    assert done.returncode == cli.EXIT_PROTOCOL and "nul_token" in one_line(done)
