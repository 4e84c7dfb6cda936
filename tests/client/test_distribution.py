"""The client is its own distribution: its wheel installs alone, with no Django and no server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import keyvault_client
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

LOADED = "import sys, keyvault_client, keyvault_client.cli; print(sorted(sys.modules))"


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "")}
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with nothing but the client's wheel installed."""
    work = tmp_path_factory.mktemp("client_dist")
    pip = (sys.executable, "-m", "pip")
    source = work / "source"  # setuptools writes build/ next to the sources: not in the tree
    shutil.copytree(ROOT / "client", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    run(*pip, "wheel", "--no-deps", "-w", work, source, cwd=work)
    (wheel,) = work.glob("keyvault_client-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", work / "venv", cwd=work)
    venv_python = work / "venv" / "bin" / "python"
    run(*pip, "--python", venv_python, "install", "--no-index", "--no-deps", wheel, cwd=work)
    return work / "venv"


def test_the_wheel_declares_no_required_dependency(client_venv: Path) -> None:
    (metadata,) = client_venv.glob("lib/python*/site-packages/keyvault_client-*.dist-info/METADATA")
    requires = [line for line in metadata.read_text().splitlines() if line.startswith("Requires")]
    assert all("extra ==" in line for line in requires if line.startswith("Requires-Dist"))


def test_keyvault_version_works_from_the_wheel(client_venv: Path) -> None:
    done = run(client_venv / "bin" / "keyvault", "--version", cwd=client_venv)
    assert done.stdout.strip() == f"keyvault {keyvault_client.__version__}"


def test_importing_the_installed_client_loads_no_django(client_venv: Path) -> None:
    python = client_venv / "bin" / "python"
    loaded = set(run(python, "-c", LOADED, cwd=client_venv).stdout.strip()[1:-1].split(", "))
    tops = {name.strip("'").split(".")[0] for name in loaded}
    assert "keyvault_client" in tops
    assert not tops & {"django", "settings_app", "keyvault_site", "httpx"}
    where = run(python, "-c", "import keyvault_client; print(keyvault_client.__file__)", cwd=ROOT)
    assert where.stdout.startswith(str(client_venv))  # the wheel's copy, not the source tree
