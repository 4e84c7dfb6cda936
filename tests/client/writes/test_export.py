"""`keyvault export`: every format reads back exactly; terminals refused; files at 0600."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import dotenv
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from keyvault_client import cli
from keyvault_client.export import render
from tests.client.conftest import ApiTarget

from .conftest import keyvault

AWKWARD = {
    "ON": "a name YAML 1.1 would read as true",
    "PLAIN": "sk-proj-abc123",
    "QUOTES": 'it\'s "quoted" \\ and back\\slashed',
    "LINES": "line one\nline two",
    "SHELLY": "$HOME `id` $(id) ; rm -rf / #",
    "SPACES": "  padded  ",
}
values = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00\r"))


@pytest.mark.django_db(transaction=True)
def test_export_writes_a_0600_file_named_as_run_names_them(
    writable_api: ApiTarget, tmp_path: Path
) -> None:
    target = tmp_path / "secrets.env"
    target.write_text("old")
    target.chmod(0o644)
    done = keyvault(writable_api, "export", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    exported = dotenv.dotenv_values(target)
    assert exported == {
        "OPENAI_API_KEY": writable_api.values["openai_api_key"],
        "ANTHROPIC_API_KEY": writable_api.values["anthropic_api_key"],
    }


@pytest.mark.django_db(transaction=True)
def test_export_json_with_env_mapping(writable_api: ApiTarget) -> None:
    done = keyvault(writable_api, "export", "--format", "json", "--env", "KEY=openai_api_key")
    assert json.loads(done.stdout) == {"KEY": writable_api.values["openai_api_key"]}


@pytest.mark.django_db(transaction=True)
def test_export_refuses_a_terminal_without_force(writable_api: ApiTarget) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        refused = subprocess.run(
            [sys.executable, "-m", "keyvault_client", "export"], stdout=secondary,
            stderr=subprocess.PIPE, text=True, timeout=60, check=False,
            env={"PATH": os.environ["PATH"], "KEYVAULT_URL": writable_api.url,
                 "KEYVAULT_TOKEN": writable_api.token},
        )  # fmt: skip
    finally:
        os.close(secondary)
        os.close(primary)
    assert refused.returncode == cli.EXIT_USAGE and "--force" in refused.stderr


def test_shell_format_survives_source_exactly() -> None:
    script = render(AWKWARD, "shell")
    names = " ".join(AWKWARD)
    done = subprocess.run(
        ["bash", "-c", script + f'for n in {names}; do printf "%s\\0" "${{!n}}"; done'],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.split("\0")[:-1] == list(AWKWARD.values())
    assert all(line.startswith("export ") for line in script.splitlines() if "=" in line[:20])


@pytest.mark.parametrize("format", ["dotenv", "yaml", "json"])
def test_awkward_values_read_back_exactly(format: str) -> None:
    assert _read_back(render(AWKWARD, format), format) == AWKWARD


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True), values))
def test_any_value_reads_back_from_json_yaml_and_shell(variables: dict[str, str]) -> None:
    for format in ("json", "yaml"):
        assert _read_back(render(variables, format), format) == variables


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True), values))
def test_any_value_without_expansion_reads_back_from_dotenv(variables: dict[str, str]) -> None:
    variables = {name: value for name, value in variables.items() if "${" not in value}
    assert _read_back(render(variables, "dotenv"), "dotenv") == variables


def _read_back(text: str, format: str) -> dict[str, str]:
    if format == "json":
        return dict(json.loads(text))
    if format == "yaml":
        return dict(yaml.safe_load(text) or {})
    return {k: v or "" for k, v in dotenv.dotenv_values(stream=io.StringIO(text)).items()}
