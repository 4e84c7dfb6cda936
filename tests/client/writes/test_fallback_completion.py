"""`run --fallback` (encrypted last good values), `completion` and `--version`."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from keyvault_client import __version__, cli
from keyvault_client.errors import ConfigurationError, Unavailable
from keyvault_client.fallback import FallbackFile
from keyvault_client.injection import Injection
from tests.client.conftest import ApiTarget, new_token, run_keyvault

from .conftest import keyvault

SECRETS = Injection()
SECRETS.variables = {"OPENAI_API_KEY": "sk-proj-fallback-7Hq2Lx9Pz4Mv8Rt1"}
SECRETS.files = {"GOOGLE_APPLICATION_CREDENTIALS": '{"private_key": "fallback-pem-9Kd"}'}
SECRETS.secrets = ["sk-proj-fallback-7Hq2Lx9Pz4Mv8Rt1", '{"private_key": "fallback-pem-9Kd"}']
DOWN = Unavailable("keyvault at http://127.0.0.1:9 is unreachable.")
TOKEN = new_token()


def test_the_fallback_file_opens_only_with_its_token(tmp_path: Path) -> None:
    path = tmp_path / "last.json"
    FallbackFile(str(path), TOKEN, 3600).save(SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "fallback-7Hq2" not in path.read_text() and "fallback-pem" not in path.read_text()
    loaded = FallbackFile(str(path), TOKEN, 3600).load(DOWN)
    assert (loaded.variables, loaded.files, loaded.secrets) == (
        SECRETS.variables,
        SECRETS.files,
        SECRETS.secrets,
    )
    with pytest.raises(Unavailable, match="cannot be opened with this token"):
        FallbackFile(str(path), new_token(), 3600).load(DOWN)


@pytest.mark.parametrize("field", ["ciphertext", "saved_at", "salt"])
def test_an_altered_fallback_file_is_refused(tmp_path: Path, field: str) -> None:
    path = tmp_path / "last.json"
    FallbackFile(str(path), TOKEN, 3600).save(SECRETS)
    document = json.loads(path.read_text())
    document[field] = document[field] + 1 if field == "saved_at" else "AAAA" + document[field][4:]
    path.write_text(json.dumps(document))
    with pytest.raises(Unavailable, match="altered"):
        FallbackFile(str(path), TOKEN, 3600).load(DOWN)


def test_an_old_fallback_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "last.json"
    FallbackFile(str(path), TOKEN, 3600).save(SECRETS)
    with time_machine.travel(timedelta(hours=2)), pytest.raises(Unavailable, match="older than"):
        FallbackFile(str(path), TOKEN, 3600).load(DOWN)


def test_no_fallback_file_raises_the_original_error(tmp_path: Path) -> None:
    with pytest.raises(Unavailable) as raised:
        FallbackFile(str(tmp_path / "none.json"), TOKEN, 3600).load(DOWN)
    assert raised.value is DOWN


def test_fallback_without_cryptography_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(ConfigurationError, match=r"keyvault-client\[fallback\]"):
        FallbackFile(str(tmp_path / "f.json"), TOKEN, 3600)


@pytest.mark.django_db(transaction=True)
def test_run_uses_the_fallback_only_when_the_server_is_unreachable(
    writable_api: ApiTarget, tmp_path: Path
) -> None:
    path = str(tmp_path / "last.json")
    show = [sys.executable, "-c", "import os; print(os.environ['OPENAI_API_KEY'][-6:])"]
    online = keyvault(writable_api, "run", "--no-mask", "--fallback", path, "--", *show)
    assert online.returncode == 0 and online.stderr == ""
    offline = run_keyvault(
        "run", "--no-mask", "--fallback", path, "--", *show,
        url=f"http://127.0.0.1:{_closed_port()}", token=writable_api.token,
    )  # fmt: skip
    assert offline.stdout == online.stdout == writable_api.values["openai_api_key"][-6:] + "\n"
    assert "unreachable" in offline.stderr and "Using the values saved" in offline.stderr
    other_token = run_keyvault(
        "run", "--fallback", path, "--", "true",
        url=f"http://127.0.0.1:{_closed_port()}", token=new_token(),
    )  # fmt: skip
    assert other_token.returncode == cli.EXIT_UNAVAILABLE


def test_version_prints_the_installed_version() -> None:
    done = run_keyvault("--version", url="http://127.0.0.1:9", token=None)
    assert done.returncode == 0 and done.stdout == f"keyvault {__version__}\n"
    assert __version__[0].isdigit()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_lists_every_command(shell: str) -> None:
    done = run_keyvault("completion", shell, url="http://127.0.0.1:9", token=None)
    assert done.returncode == 0
    for command in ("run", "get", "set", "list", "export", "completion"):
        assert command in done.stdout
    assert "watch-interval" in done.stdout and "if-version" in done.stdout


def test_bash_completion_completes_commands_and_options() -> None:
    script = run_keyvault("completion", "bash", url="http://127.0.0.1:9", token=None).stdout
    probe = (
        script + '\nCOMP_WORDS=(keyvault ex); COMP_CWORD=1; _keyvault; echo "${COMPREPLY[@]}"'
        '\nCOMP_WORDS=(keyvault run --wat); COMP_CWORD=2; _keyvault; echo "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["export", "--watch --watch-interval --watch-grace"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
