"""The drill's deployment: a scratch PostgreSQL database, Redis, a key file and gunicorn started
by deploy/serve.sh, with the operator's moves (run a command, edit the key file, SIGHUP)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "deploy" / "serve.sh"
ROLLING_RELOAD = ROOT / "deploy" / "rolling_reload.py"
STARTUP_SECONDS = 120  # gunicorn imports Django in each worker on two shared cores
COMMAND_SECONDS = 300
FALLBACKS = "KEYVAULT_PRIMARY_KEY_FALLBACKS"
SEED = """
import json, sys
from settings_app.api import services
from settings_app.models import Setting
values = json.loads(sys.stdin.readline())
for key, value in values.items():
    Setting.objects.create(key=key, value=value, provider="openai")
print(json.dumps({"token": services.create_token("drill", ["drill_*"]).secret}))
"""


@dataclass(frozen=True)
class Deployment:
    directory: Path
    env: dict[str, str]  # what every process of the deployment gets (no key material)

    @property
    def key_file(self) -> Path:
        return self.directory / "keys.env"

    def manage(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """`manage.py ARGS` as the operator runs it; fails loudly if the command fails."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            input=stdin, env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=COMMAND_SECONDS, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database `drill_<pid>` on the PostgreSQL server at `server_url`; dropped after."""
    server = server_url.rsplit("/", 1)[0]
    name = f"drill_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def prepare(directory: Path, database_url: str, cache_url: str) -> Deployment:
    """Keys in their own env file (as the server reads them), then a migrated database."""
    import redis

    redis.Redis.from_url(cache_url).flushdb()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "keyvault_site.settings",
        "SECRET_KEY": "drill-" + secrets.token_urlsafe(40),
        "DEBUG": "false",
        "HTTPS": "false",  # plain HTTP on 127.0.0.1: the client allows it for this machine
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "KEYVAULT_CACHE_URL": cache_url,
        "KEYVAULT_API_RATE": "1000000/m",  # the drill measures rotation, not the rate limit
        "KEYVAULT_ENV_FILE": str(directory / "keys.env"),
    }
    deployment = Deployment(directory, env)
    deployment.manage("init_encryption", "--write", str(deployment.key_file))
    deployment.manage("migrate", "--noinput")
    return deployment


def seed(deployment: Deployment, values: dict[str, str]) -> str:
    """Create the settings; the service token that reads them (scope `drill_*`)."""
    done = deployment.manage("shell", "-c", SEED, stdin=json.dumps(values) + "\n")
    return str(json.loads(done.stdout.strip().splitlines()[-1])["token"])


def rotate_key_file(deployment: Deployment) -> None:
    """`init_encryption --rotate --write` to a new file, then put it where the server reads.

    `--write` never overwrites keys, so the rotated set goes to a new file and replaces the
    live one in one rename; the old file is kept beside it as the operator's backup.
    """
    new = deployment.directory / "keys.env.rotated"
    deployment.manage("init_encryption", "--rotate", "--write", str(new))
    os.link(deployment.key_file, deployment.directory / "keys.env.before-rotation")
    os.replace(new, deployment.key_file)


def retire_fallbacks(deployment: Deployment) -> None:
    """Remove the retired key (the fallbacks line) from the key file, in one rename."""
    lines = deployment.key_file.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"{FALLBACKS}=")]
    staged = deployment.directory / "keys.env.retired"
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("".join(kept))
    os.replace(staged, deployment.key_file)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(deployment: Deployment, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen]]:
    """deploy/serve.sh on a free port; yields the base URL and the master process."""
    port = free_port()
    log_path = deployment.directory / "gunicorn.log"
    command = [str(SERVE), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with log_path.open("w") as log:
        # Only the server writes metrics files (gunicorn's on_starting creates the directory).
        env = {**deployment.env, **_server_directories(deployment)}
        master = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=log
        )  # serve.sh execs gunicorn: this pid is the master's
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_ready(base, master, log_path)
            yield base, master
        finally:
            master.terminate()
            try:
                master.wait(timeout=30)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()


def _server_directories(deployment: Deployment) -> dict[str, str]:
    """The server's metrics files and its workers' ready marks, inside the drill's directory."""
    return {
        "PROMETHEUS_MULTIPROC_DIR": str(deployment.directory / "metrics"),
        "KEYVAULT_WORKER_READY_DIR": str(deployment.directory / "workers"),
    }


def wait_until_ready(base: str, master: subprocess.Popen, log_path: Path) -> None:
    """Poll /readyz until it answers 200 (each worker imports Django first)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if master.poll() is not None:
            raise RuntimeError(f"gunicorn ended: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=30).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base}/readyz never answered 200: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)


def worker_pids(master_pid: int) -> set[int]:
    """The gunicorn master's children (its workers), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == master_pid:
                found.add(int(entry.name))
    return found


def reload(deployment: Deployment, base: str, master: subprocess.Popen) -> None:
    """SIGHUP (gunicorn's reload), then wait until every old worker has exited and the new
    ones answer: from then on, no process serves with the old key file.

    gunicorn stops the old workers as soon as it has forked the new ones, so nothing accepts
    connections while the new ones import Django: seconds on a busy machine."""
    old = worker_pids(master.pid)
    master.send_signal(signal.SIGHUP)
    _wait_for(lambda: not (worker_pids(master.pid) & old), f"workers {sorted(old)} never ended")
    wait_until_ready(base, master, deployment.directory / "gunicorn.log")


def rolling_reload(deployment: Deployment, master: subprocess.Popen) -> None:
    """The reload without a gap, as `systemctl reload keyvault` runs it: deploy/rolling_reload.py
    (new workers ready before the old ones stop)."""
    done = subprocess.run(
        [sys.executable, str(ROLLING_RELOAD), str(master.pid), "--deadline", str(STARTUP_SECONDS)],
        env={**deployment.env, **_server_directories(deployment)}, capture_output=True,
        text=True, timeout=4 * STARTUP_SECONDS + 30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        log = (deployment.directory / "gunicorn.log").read_text()[-2000:]
        raise RuntimeError(f"rolling reload failed: {done.stderr.strip()}\n{log}")


def _wait_for(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.05)
