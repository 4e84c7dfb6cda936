"""The production chain for tests: throwaway TLS certificates, nginx from deploy/, and gunicorn
started by deploy/serve.sh, the same entrypoint as the container and the systemd unit."""

from __future__ import annotations

import os
import shutil
import socket
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.support.keys import KEY_ENV

DEPLOY = ROOT / "deploy"
SERVE = DEPLOY / "serve.sh"
NGINX_TEMPLATE = DEPLOY / "nginx" / "keyvault.conf.template"
STARTUP_SECONDS = 120  # gunicorn imports Django in each worker on two shared cores
# A production process's environment: DEBUG off, a long SECRET_KEY, the test key set.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "kv-" + "Xq9#mP2$vL7!wR4^" * 4,
    "ALLOWED_HOSTS": "keyvault.example.com,127.0.0.1",
    **KEY_ENV,
}


def nginx_binary() -> str | None:
    """nginx's path, if Debian's package (scripts/install-nginx.sh) or another is installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the throwaway CA that signed the server's certificate
    certificate: Path
    key: Path
    other_ca: Path  # a CA that signed nothing here: trusting it must fail


def make_certificates(directory: Path) -> Certificates:
    """A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated CA."""
    directory.mkdir(parents=True, exist_ok=True)
    _make_ca(directory, "ca")
    _make_ca(directory, "other-ca")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", directory / "server.key", "-out", directory / "server.csr",
             "-subj", "/CN=127.0.0.1")  # fmt: skip
    extensions = directory / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    _openssl("x509", "-req", "-in", directory / "server.csr", "-CA", directory / "ca.pem",
             "-CAkey", directory / "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", extensions, "-out", directory / "server.pem")  # fmt: skip
    return Certificates(
        directory / "ca.pem", directory / "server.pem", directory / "server.key",
        directory / "other-ca.pem",
    )  # fmt: skip


def _make_ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", f"/CN=keyvault test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", directory / f"{name}.key", "-out", directory / f"{name}.pem")  # fmt: skip


def _openssl(*args: str | Path) -> None:
    result = subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr


@dataclass(frozen=True)
class Proxy:
    http_port: int
    https_port: int

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def nginx_site(upstream: str, proxy: Proxy, certificates: Certificates) -> str:
    """deploy/'s nginx site, its ${NGINX_*} placeholders filled as envsubst would."""
    values = {
        "NGINX_UPSTREAM": upstream,
        "NGINX_HTTP_PORT": str(proxy.http_port),
        "NGINX_HTTPS_PORT": str(proxy.https_port),
        "NGINX_SERVER_NAME": "127.0.0.1 localhost",
        "NGINX_CERTIFICATE": str(certificates.certificate),
        "NGINX_CERTIFICATE_KEY": str(certificates.key),
    }
    site = string.Template(NGINX_TEMPLATE.read_text()).safe_substitute(values)
    assert "${NGINX_" not in site, "deploy/nginx has a placeholder the test does not fill"
    return site


def _nginx_main(directory: Path) -> str:
    """The harness around the site: files in `directory`, in the foreground."""
    # As root, nginx's workers would switch to an unprivileged user that cannot read tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy",
                                                               "fastcgi", "uwsgi", "scgi")
    )  # fmt: skip
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n  access_log {directory / 'access.log'};\n{temp}\n"
        f"  include {directory / 'keyvault.conf'};\n}}\n"
    )


@contextmanager
def running_nginx(directory: Path, upstream: str, certificates: Certificates) -> Iterator[Proxy]:
    """nginx with deploy/'s site in front of `upstream`, until the block ends."""
    binary = nginx_binary()
    assert binary, "nginx is not installed (scripts/install-nginx.sh)"
    directory.mkdir(parents=True, exist_ok=True)
    proxy = Proxy(free_port(), free_port())
    (directory / "keyvault.conf").write_text(nginx_site(upstream, proxy, certificates))
    (directory / "nginx.conf").write_text(_nginx_main(directory))
    command = [binary, "-p", str(directory), "-e", str(directory / "error.log"),
               "-c", str(directory / "nginx.conf")]  # fmt: skip
    with _process(command, directory / "nginx.out", {"PATH": os.environ["PATH"]}) as process:
        _wait_until_listening(proxy.https_port, process, directory / "error.log")
        yield proxy


@contextmanager
def running_gunicorn(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[str]:
    """deploy/serve.sh on a free port with `env`; yields its address (host:port)."""
    port = free_port()
    full_env = {"PATH": os.environ["PATH"], "KEYVAULT_ENV_FILE": "", "PYTHON": sys.executable,
                **env}  # fmt: skip
    command = [str(SERVE), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with _process(command, log, full_env) as process:
        _wait_until_listening(port, process, log)
        yield f"127.0.0.1:{port}"


@contextmanager
def _process(command: list[str], log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert process.poll() is None, f"{process.args!r} ended: {log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listened on {port}: {log.read_text()}"
            time.sleep(0.1)


def wait_until_ready(base: str, **client_options: object) -> httpx.Response:
    """GET /readyz until it answers (gunicorn's workers may still be importing Django)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            return httpx.get(f"{base}/readyz", timeout=30, **client_options)  # type: ignore[arg-type]
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{base} never answered /readyz"
            time.sleep(0.2)
