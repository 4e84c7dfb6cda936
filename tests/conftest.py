"""Shared fixtures: a clean environment for every test, and helpers to run manage.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings_app import value_cache
from settings_app.encryption import keyring

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep KEYVAULT_* and provider variables a test did not set out of it."""
    for name in list(os.environ):
        if name.startswith(("KEYVAULT_", "OPENAI_", "ANTHROPIC_")) and name != "KEYVAULT_ENV_FILE":
            monkeypatch.delenv(name)
    keyring.reset()
    value_cache.reset()
    yield
    keyring.reset()
    value_cache.reset()


def run_manage(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py ARGS` in a subprocess with exactly `env` (plus PATH)."""
    full_env = {"PATH": os.environ.get("PATH", ""), "KEYVAULT_ENV_FILE": ""}
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
