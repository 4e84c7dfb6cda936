"""Fixtures for the client and CLI: a keyvault API on 127.0.0.1 and a way to run `keyvault`.

`keyvault_api` is the one fixture that says which server the tests talk to. Today it is the
stand-in in api_server.py; when the real API is in main, make it start `live_server` with a
ServiceToken and the same settings, and every test that uses only `keyvault_api` runs against
it. Tests that need to break the server (stop it, make it fail) use `api_server` directly.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.client.api_server import ApiServer
from tests.conftest import ROOT

VALUES = {
    "openai_api_key": "sk-proj-clienttest-4f9aQ2mZ7xLk0pRt8vWc3nYb",
    "anthropic_api_key": "sk-ant-api03-clienttest-Hd82kLq0Zp4mNx7Rv",
}
OUT_OF_SCOPE = {"internal_db_password": "not-for-this-token-7Jq2Lx9Pz"}


@dataclass(frozen=True)
class ApiTarget:
    """Where the API is, a token it accepts, and the values that token may read."""

    url: str
    token: str = field(repr=False)
    values: dict[str, str] = field(repr=False)
    out_of_scope_key: str


def new_token() -> str:
    """A well-formed service token that no server knows."""
    return "kvt_" + secrets.token_urlsafe(32)


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    """The stand-in API, holding VALUES (in scope) and OUT_OF_SCOPE (outside it)."""
    with ApiServer.running(new_token(), **VALUES, **OUT_OF_SCOPE) as server:
        server.scope = ("openai_*", "anthropic_*")
        yield server


@pytest.fixture
def keyvault_api(api_server: ApiServer) -> ApiTarget:
    """The API under test as (url, token, expected values): the fixture to switch later."""
    return ApiTarget(api_server.url, api_server.token, dict(VALUES), next(iter(OUT_OF_SCOPE)))


def run_keyvault(
    *args: str, url: str, token: str | None, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """`python -m keyvault_client ARGS` with only PATH and the keyvault variables set."""
    full_env = {"PATH": os.environ.get("PATH", ""), "KEYVAULT_URL": url}
    if token is not None:
        full_env["KEYVAULT_TOKEN"] = token
    full_env.update(env or {})
    streams = kwargs or {"capture_output": True}  # or the caller's own stdout/stderr
    return subprocess.run(  # type: ignore[call-overload]
        [sys.executable, "-m", "keyvault_client", *args],
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=60,
        check=False,
        **streams,
    )
