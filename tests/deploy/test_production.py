"""The production path: check --deploy is clean, and gunicorn + WhiteNoise serve the admin."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, run_manage
from tests.deploy.servers import PRODUCTION_ENV, free_port


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """PRODUCTION_ENV on a scratch database. `check` reads the key-check record, so without one
    it would create the checkout's own db.sqlite3, which `make run` then finds without a .env."""
    return {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}"}


def test_check_deploy_reports_nothing(production_env: dict[str, str]) -> None:
    local_database = ROOT / "db.sqlite3"
    existed = local_database.exists()
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert local_database.exists() == existed


def test_check_deploy_flags_debug_in_production(production_env: dict[str, str]) -> None:
    result = run_manage("check", "--deploy", env={**production_env, "DEBUG": "true"})
    assert "security.W018" in result.stderr  # DEBUG on in a deployment


@pytest.mark.slow
def test_gunicorn_serves_the_admin_and_static_files(tmp_path: Path, database_url: str) -> None:
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp_path / "static"),
        "BEHIND_TLS_PROXY": "true",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stderr
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "keyvault_site.wsgi", "-b", f"127.0.0.1:{port}"],
        env={"PATH": os.environ["PATH"], "KEYVAULT_ENV_FILE": "", **env},
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        https = {"X-Forwarded-Proto": "https"}
        login = _wait_for(f"{base}/admin/login/", https)
        assert login.status_code == 200
        assert "strict-transport-security" in login.headers
        assert login.headers["x-frame-options"] == "DENY"
        css = httpx.get(f"{base}/static/admin/css/base.css", headers=https)
        assert css.status_code == 200
        assert "text/css" in css.headers["content-type"]
        plain = httpx.get(f"{base}/admin/login/")
        assert plain.status_code == 301
        assert plain.headers["location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_for(url: str, headers: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, headers=headers)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
