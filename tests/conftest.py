"""Shared fixtures: a clean environment for every test, and helpers to run manage.py."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from settings_app.audit import coalescing
from settings_app.encryption import keyring
from settings_app.lookups import tokens as token_lookup
from settings_app.lookups import values as value_cache
from settings_app.twofactor import policy
from tests.support.second_factor import verify_session

ROOT = Path(__file__).resolve().parent.parent
# manage.py's database when a test names none: never the checkout's own db.sqlite3, which
# `make run` would then find without the .env that holds its keys.
_SCRATCH = Path(tempfile.mkdtemp(prefix="keyvault-manage-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep KEYVAULT_* and provider variables a test did not set out of it."""
    for name in list(os.environ):
        if name.startswith(("KEYVAULT_", "OPENAI_", "ANTHROPIC_")) and name != "KEYVAULT_ENV_FILE":
            monkeypatch.delenv(name)
    keyring.reset()
    value_cache.reset()
    coalescing.forget_seen()
    token_lookup.reset()
    yield
    keyring.reset()
    value_cache.reset()
    token_lookup.reset()


@pytest.fixture(autouse=True)
def _second_factor_with_force_login(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`client.force_login(user)` also passes the second factor the policy asks of `user`.

    Deliberate: most tests are about pages behind the sign-in, not the sign-in itself, so the
    session gets what a real one has after the code step (a confirmed TOTP device, verified
    now). The policy stays the production default. Tests of the sign-in itself are marked
    `password_only` and get a session with the password step only.
    """
    if request.node.get_closest_marker("password_only"):
        return
    signed_in = Client.force_login

    def force_login(client: Client, user: Any, backend: str | None = None) -> None:
        signed_in(client, user, backend)
        if policy.must_enrol(user):
            verify_session(client, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def run_manage(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py ARGS` in a subprocess with exactly `env` (plus PATH, and a scratch
    SQLite database unless `env` names one)."""
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "KEYVAULT_ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{_SCRATCH / 'db.sqlite3'}",
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--race-rounds",
        type=int,
        default=1,
        help="How many times the multi-process race tests repeat (e.g. 20 to show they hold).",
    )


@pytest.fixture
def race_rounds(request: pytest.FixtureRequest) -> int:
    """How many rounds a race test runs: `pytest --race-rounds 20` repeats it 20 times."""
    return int(request.config.getoption("--race-rounds"))
