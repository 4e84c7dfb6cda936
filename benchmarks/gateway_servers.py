"""The gateway benchmark's processes: uvicorn servers, the seed, and their CPU time and memory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED = """
import json, secrets
import django
django.setup()
from django.core.management import call_command
from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.models import GatewayUsage, Setting
call_command("createcachetable")
Setting._base_manager.filter(key="openai_api_key").delete()  # purged, not trashed
Setting.objects.create(key="openai_api_key", value="sk-proj-" + secrets.token_urlsafe(36),
                       provider="openai")
GatewayUsage.objects.all().delete()
ServiceToken.objects.filter(name__startswith="bench-gw").delete()
created = services.create_token("bench-gw", ["openai_*"], gateway_scope=["openai_*"])
print(json.dumps({"token": created.secret}))
"""


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def seed(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding the gateway benchmark failed: {done.stderr[-2000:]}")
    return str(json.loads(done.stdout.strip().splitlines()[-1])["token"])


@contextmanager
def uvicorn(app: str, env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """One uvicorn process (one worker, no access log, proxy headers off) serving `app`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log", "--no-proxy-headers", "--log-level", "warning"]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, log_path)
            yield Server(base, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_up(base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"uvicorn did not start: {log_path.read_text()[-2000:]}"
                ) from None
            time.sleep(0.2)
