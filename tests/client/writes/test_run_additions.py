"""`keyvault run` additions against the real API: --preserve-env, --command, --watch, proxies."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings_app.models import Setting
from tests.client.conftest import ApiTarget
from tests.conftest import ROOT

from .conftest import NEW_OPENAI, keyvault

pytestmark = pytest.mark.django_db(transaction=True)
PRINT_KEY = "import os; print(os.environ['OPENAI_API_KEY'] == os.environ.get('EXPECTED'))"
DEADLINE = 90.0  # seconds: a busy two-core machine, not a guess at how fast it is


def test_an_overridden_variable_is_announced_once(writable_api: ApiTarget) -> None:
    env = {"OPENAI_API_KEY": "from-the-shell", "EXPECTED": writable_api.values["openai_api_key"]}
    done = keyvault(writable_api, "run", "--", sys.executable, "-c", PRINT_KEY, env=env)
    assert done.stdout == "True\n"
    assert done.stderr.count("\n") == 1
    assert "overriding OPENAI_API_KEY" in done.stderr and "--preserve-env" in done.stderr


def test_preserve_env_keeps_a_variable_already_set(writable_api: ApiTarget) -> None:
    env = {"OPENAI_API_KEY": "from-the-shell", "EXPECTED": "from-the-shell"}
    done = keyvault(
        writable_api, "run", "--preserve-env", "--", sys.executable, "-c", PRINT_KEY, env=env
    )
    assert done.stdout == "True\n" and done.stderr == ""


def test_command_runs_through_the_shell(writable_api: ApiTarget) -> None:
    done = keyvault(
        writable_api, "run", "--no-mask", "--command",
        'test -n "$OPENAI_API_KEY" && echo set || echo unset; echo second',
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == "set\nsecond\n"


def test_command_and_argv_together_are_a_usage_error(writable_api: ApiTarget) -> None:
    done = keyvault(writable_api, "run", "--command", "true", "--", "true")
    assert done.returncode == 64 and "not both" in done.stderr


CHILD_RECORDS_ITS_START = """
import os, signal, sys, time
with open(sys.argv[1], "a") as log:
    log.write(os.environ["OPENAI_API_KEY"][-6:] + "\\n")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(0.05)
"""


def test_watch_restarts_the_command_when_a_value_changes(
    writable_api: ApiTarget, tmp_path: Path
) -> None:
    log = tmp_path / "starts.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "keyvault_client", "run", "--watch", "--watch-interval", "0.2",
         "--", sys.executable, "-c", CHILD_RECORDS_ITS_START, str(log)],
        env={"PATH": os.environ["PATH"], "KEYVAULT_URL": writable_api.url,
             "KEYVAULT_TOKEN": writable_api.token},
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for(lambda: log.exists() and log.read_text().count("\n") == 1)
        Setting.objects.set_value("openai_api_key", NEW_OPENAI)
        _wait_for(lambda: log.read_text().count("\n") == 2)
        process.terminate()  # forwarded to the child, which exits 0
        assert process.wait(timeout=DEADLINE) == 0
    finally:
        process.kill()
        stderr = process.communicate()[1]
    original = writable_api.values["openai_api_key"]
    assert log.read_text().splitlines() == [original[-6:], NEW_OPENAI[-6:]]
    assert "a value changed; restarting" in stderr


class _RecordingProxy(http.server.BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy that notes each request target and passes it on."""

    seen: list[str] = []

    def do_GET(self) -> None:
        import http.client
        from urllib.parse import urlsplit

        self.seen.append(self.path)
        target = urlsplit(self.path)
        upstream = http.client.HTTPConnection(str(target.hostname), target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request("GET", target.path + (f"?{target.query}" if target.query else ""),
                         headers=headers)  # fmt: skip
        answer = upstream.getresponse()
        body = answer.read()
        upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _RecordingProxy.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_proxy_is_used_and_no_proxy_bypasses_it(writable_api: ApiTarget, proxy: str) -> None:
    through = keyvault(writable_api, "get", "openai_api_key", env={"HTTP_PROXY": proxy})
    assert through.stdout == writable_api.values["openai_api_key"] + "\n", through.stderr
    assert any("/api/v1/settings/openai_api_key" in path for path in _RecordingProxy.seen)
    _RecordingProxy.seen.clear()
    host = writable_api.url.split("//")[1].split(":")[0]
    bypassed = keyvault(writable_api, "list", env={"HTTP_PROXY": proxy, "NO_PROXY": host})
    assert bypassed.returncode == 0 and _RecordingProxy.seen == []


def _wait_for(condition: object) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_https_goes_through_a_connect_tunnel_unless_no_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.client

    from keyvault_client.transports import StdlibTransport

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    transport = StdlibTransport("https://kv.example:8443", "https://kv.example:8443")
    connection, target = transport._connect(http.client, "/api/v1/settings/")
    assert (connection.host, connection.port) == ("proxy.internal", 3128)
    assert connection._tunnel_host == "kv.example" and connection._tunnel_port == 8443
    assert target == "/api/v1/settings/"
    monkeypatch.setenv("NO_PROXY", ".example")
    direct, _ = transport._connect(http.client, "/api/v1/settings/")
    assert (direct.host, direct._tunnel_host) == ("kv.example", None)
