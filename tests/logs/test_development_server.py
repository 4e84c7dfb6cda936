"""`runserver` with KEYVAULT_LOG_FORMAT=json: every line on stderr is JSON, access lines too,
and the probes stay out of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.deploy.servers import free_port
from tests.support.keys import KEY_ENV

pytestmark = pytest.mark.slow


def test_every_development_server_line_is_json(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "KEYVAULT_ENV_FILE": "", "DEBUG": "true",
           "SECRET_KEY": "dev-" + "x" * 40, "KEYVAULT_LOG_FORMAT": "json",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}", **KEY_ENV}  # fmt: skip
    stderr = (tmp_path / "stderr.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/healthz", server)
        httpx.get(f"{base}/readyz")
        httpx.get(f"{base}/nowhere", headers={"X-Request-ID": "dev-trace-1"})
        # The server logs its access line once the response is closed: after the client has it.
        _wait_until_logged(Path(stderr.name), '\\"GET /nowhere HTTP/1.1\\" 404')
    finally:
        server.terminate()
        server.wait(timeout=30)
        stderr.close()
    lines = [line for line in (tmp_path / "stderr.log").read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]  # a line that is not JSON fails here
    loggers = {r["logger"] for r in records}
    assert {"django.server", "keyvault.access", "django.request"} <= loggers
    assert not any("/healthz" in r["message"] or "/readyz" in r["message"] for r in records)
    assert {r["request_id"] for r in records if r["logger"] != "django.server"} >= {"dev-trace-1"}


def _wait_until_logged(log: Path, text: str) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"never logged: {text}"
        time.sleep(0.1)


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, "runserver ended"
        try:
            httpx.get(url)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "runserver never answered"
            time.sleep(0.2)
