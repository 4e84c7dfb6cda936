"""Fixtures for the client and CLI: a keyvault API on 127.0.0.1 and a way to run `keyvault`.

`keyvault_api` is the real read API: pytest-django's `live_server` holding VALUES and
OUT_OF_SCOPE, and a ServiceToken made through the service whose scope covers VALUES only.
Tests that need to break the server (stop it, make it fail, count its requests) use the
stand-in in api_server.py directly, through `api_server`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from settings_app.api import services, tokens
from settings_app.models import Setting
from tests.client.api_server import ApiServer
from tests.conftest import ROOT

VALUES = {
    "openai_api_key": "sk-proj-clienttest-4f9aQ2mZ7xLk0pRt8vWc3nYb",
    "anthropic_api_key": "sk-ant-api03-clienttest-Hd82kLq0Zp4mNx7Rv",
}
OUT_OF_SCOPE = {"internal_db_password": "not-for-this-token-7Jq2Lx9Pz"}
SCOPE = ("openai_*", "anthropic_*")
TOKEN_NAME = "client-tests"


@dataclass(frozen=True)
class ApiTarget:
    """Where the API is, a token it accepts, and the values that token may read."""

    url: str
    token: str = field(repr=False)
    values: dict[str, str] = field(repr=False)
    out_of_scope_key: str


def new_token() -> str:
    """A well-formed service token (right prefix, length and checksum) that no server knows."""
    return tokens.generate()


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    """The stand-in API, holding VALUES (in scope) and OUT_OF_SCOPE (outside it)."""
    with ApiServer.running(new_token(), **VALUES, **OUT_OF_SCOPE) as server:
        server.scope = SCOPE
        yield server


@pytest.fixture
def keyvault_api(live_server: Any, transactional_db: None) -> ApiTarget:
    """The real API on live_server, with VALUES and OUT_OF_SCOPE stored and a token for VALUES.

    transactional_db: the server's threads must see what this test commits."""
    for key, value in {**VALUES, **OUT_OF_SCOPE}.items():
        Setting.objects.set_value(key, value)
    created = services.create_token(TOKEN_NAME, SCOPE)
    return ApiTarget(live_server.url, created.secret, dict(VALUES), next(iter(OUT_OF_SCOPE)))


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
