"""The README's rotation script, run as written against the real API and a stand-in provider."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.client.conftest import ApiTarget
from tests.conftest import ROOT
from tests.support.provider_server import ProviderServer, provider_server_fixture  # noqa: F401

from .conftest import NEW_OPENAI, stored

pytestmark = pytest.mark.django_db(transaction=True)


def rotation_script() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"A \*\*rotation script\*\*.*?```sh\n(.*?)```", readme, re.DOTALL)
    assert found, "the README shows the rotation script"
    return found.group(1)


def rotate(
    api: ApiTarget, new_key: str, tmp_path: Path, shell: str = "sh"
) -> subprocess.CompletedProcess[str]:
    """The script run as `SHELL rotate.sh`, which ignores the options on its #! line."""
    script = tmp_path / "rotate.sh"
    script.write_text(rotation_script())
    bin_dir = Path(sys.executable).parent  # where the `keyvault` console script is
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "KEYVAULT_URL": api.url,
           "KEYVAULT_TOKEN": api.token}  # fmt: skip
    return subprocess.run(
        [shell, str(script)], input=new_key, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_the_script_is_about_ten_lines() -> None:
    assert len(rotation_script().splitlines()) <= 12


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_a_key_the_provider_accepts_is_rotated_in(
    writable_api: ApiTarget,
    provider_server: ProviderServer,
    settings: Any,
    tmp_path: Path,
    shell: str,
) -> None:
    provider_server.point(settings)
    provider_server.accept(NEW_OPENAI)
    done = rotate(writable_api, NEW_OPENAI, tmp_path, shell)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "rotated openai_api_key: version 1 -> 2"
    assert stored("openai_api_key") == NEW_OPENAI


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_a_key_the_provider_rejects_is_rolled_back(
    writable_api: ApiTarget,
    provider_server: ProviderServer,
    settings: Any,
    tmp_path: Path,
    shell: str,
) -> None:
    provider_server.point(settings)  # accepts nothing: the new key gets a 401
    done = rotate(writable_api, NEW_OPENAI, tmp_path, shell)
    assert done.returncode == 1
    assert "version 1 restored" in done.stderr
    assert stored("openai_api_key") == writable_api.values["openai_api_key"]


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_a_key_keyvault_refuses_stops_the_script_before_verify_and_rollback(
    writable_api: ApiTarget,
    provider_server: ProviderServer,
    settings: Any,
    tmp_path: Path,
    shell: str,
) -> None:
    provider_server.point(settings)
    done = rotate(writable_api, "sk-proj-with inner spaces", tmp_path, shell)
    assert done.returncode == 80  # keyvault set's "refused", passed on by set -e
    assert "never contain spaces" in done.stderr and "restored" not in done.stderr
    assert stored("openai_api_key") == writable_api.values["openai_api_key"]
