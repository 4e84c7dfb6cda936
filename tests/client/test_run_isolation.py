"""`keyvault run` keeps the service token from the command it starts (issue 22, item 1).

The child runs as the same user as its masking parent, so it may read /proc/$PPID/environ,
cmdline and mem unless the parent forbids it. Root's capabilities would override that: as root,
the tests run keyvault (and so its child) without any, as an ordinary user's processes are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.conftest import ApiTarget
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc"),
]

# What the child finds of `needle` in its parent's /proc files: one line per file.
SNOOP = r"""
import os, re, sys
needle = open(sys.argv[1], "rb").read()  # not in argv: the parent's cmdline holds the child's
parent = os.getppid()

def read(name):
    with open(f"/proc/{parent}/{name}", "rb") as file:
        return file.read()

def memory():
    found = b""
    with open(f"/proc/{parent}/mem", "rb") as mem:
        for line in read("maps").decode().splitlines():
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                found += mem.read(end - start)
            except OSError:
                pass
    return found

for name, reader in (("environ", lambda: read("environ")), ("cmdline", lambda: read("cmdline")),
                     ("mem", memory)):
    try:
        data = reader()
    except OSError as error:
        print(name, "refused", error.errno)
    else:
        print(name, "found" if needle in data else "absent")
"""


def _as_ordinary_user() -> list[str]:
    """A prefix that runs a command, and all it starts, without root's capabilities."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv to drop capabilities")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all"]


def snoop(
    target: ApiTarget, needle: str, tmp_path: Path, env: dict[str, str] | None = None
) -> dict[str, str]:
    (tmp_path / "needle").write_text(needle, encoding="utf-8")
    child = [sys.executable, "-c", SNOOP, str(tmp_path / "needle")]
    keyvault = [*_as_ordinary_user(), sys.executable, "-m", "keyvault_client", "run"]
    environment = {"PATH": os.environ["PATH"], "KEYVAULT_URL": target.url}
    environment.update(env or {"KEYVAULT_TOKEN": target.token})
    done = subprocess.run(
        [*keyvault, "--env", "OPENAI_API_KEY=openai_api_key", "--", *child],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in done.stdout.splitlines()}


def test_the_child_cannot_read_the_token_from_its_parent(
    keyvault_api: ApiTarget, tmp_path: Path
) -> None:
    found = snoop(keyvault_api, keyvault_api.token, tmp_path)
    assert set(found) == {"environ", "cmdline", "mem"}
    assert "found" not in found.values(), found
    assert found["environ"].startswith("refused") and found["mem"].startswith("refused")


def test_the_child_cannot_learn_the_token_file_from_its_parent(
    keyvault_api: ApiTarget, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(keyvault_api.token, encoding="utf-8")
    env = {"KEYVAULT_TOKEN_FILE": str(token_file)}
    found = snoop(keyvault_api, str(token_file), tmp_path, env=env)
    assert "found" not in found.values(), found
