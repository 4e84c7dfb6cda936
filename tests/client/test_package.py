"""The client package stands alone: no Django, and a command line that does not load httpx."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.api_server import ApiServer
from tests.client.conftest import run_keyvault
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

LOADED = "import sys; {imports}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"


def loaded_after(imports: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after `imports`."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(imports=imports)],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={"PATH": os.environ.get("PATH", "")},
    )  # fmt: skip
    return set(eval(done.stdout))  # noqa: S307  (our own child's list of module names)


def test_the_client_never_imports_django() -> None:
    loaded = loaded_after("import keyvault_client, keyvault_client.cli; keyvault_client.Client")
    assert "django" not in loaded and "settings_app" not in loaded


def test_the_command_line_does_without_httpx_and_dataclasses() -> None:
    # Every module the CLI loads is start-up time of `keyvault run` (benchmark 9c).
    added = loaded_after("import keyvault_client.cli") - loaded_after("pass")
    assert not added & {"httpx", "httpcore", "dataclasses", "typing", "logging", "shutil"}


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "keyvault"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "keyvault run" not in done.stderr
    assert "exit status:" in done.stdout and "run" in done.stdout and "get" in done.stdout


def test_the_usual_run_loads_neither_argparse_nor_the_idna_codec(api_server: ApiServer) -> None:
    # `keyvault run -- COMMAND` is read without argparse (plain_run.py), and an ASCII host is
    # connected to without the idna codec (transports.py): each costs 9c a few percent.
    done = run_keyvault(
        "run", "--", "true", url=api_server.url, token=api_server.token,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|") for line in done.stderr.splitlines()]
    loaded = {line[2].strip() for line in lines if line[0].startswith("import time:")}
    assert {"keyvault_client.run", "http.client", "json"} <= loaded
    assert not loaded & {"argparse", "gettext", "encodings.idna", "zlib", "httpx", "typing"}
