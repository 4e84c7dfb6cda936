"""The same commands called in this process (`cli.main`), against the real API on live_server.

The subprocess tests show what a user sees; these run the handlers where coverage measures
them, and check their exit statuses and output the same way.
"""

from __future__ import annotations

import io
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyvault_client import cli
from keyvault_client.run import FORWARDED_SIGNALS
from tests.client.conftest import ApiTarget

from .conftest import NEW_OPENAI, stored

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def signal_handlers_restored() -> Iterator[None]:
    """`run` installs handlers that forward signals to its child: give pytest its own back."""
    saved = {number: signal.getsignal(number) for number in FORWARDED_SIGNALS}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.fixture
def configured(writable_api: ApiTarget, monkeypatch: pytest.MonkeyPatch) -> ApiTarget:
    monkeypatch.setenv("KEYVAULT_URL", writable_api.url)
    monkeypatch.setenv("KEYVAULT_TOKEN", writable_api.token)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    return writable_api


def keyvault(*argv: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def test_write_commands_in_process(
    configured: ApiTarget, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert keyvault("set", "openai_api_key", stdin=NEW_OPENAI + "\n", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == "2\n"
    stale = keyvault("set", "openai_api_key", "--if-version", "1", stdin="sk-proj-" + "x" * 30,
                     monkeypatch=monkeypatch)  # fmt: skip
    assert stale == cli.EXIT_CONFLICT and "not 1" in capsys.readouterr().err
    assert keyvault("list", monkeypatch=monkeypatch) == 0
    assert "openai_api_key" in capsys.readouterr().out
    assert keyvault("list", "--json", monkeypatch=monkeypatch) == 0
    assert {s["key"] for s in json.loads(capsys.readouterr().out)} >= {"openai_api_key"}
    assert keyvault("get", "openai_api_key", "--version", "1", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == configured.values["openai_api_key"] + "\n"
    assert keyvault("rollback", "openai_api_key", "1", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == "3\n" and stored("openai_api_key") != NEW_OPENAI
    assert keyvault("set", "openai_other", "--provider", "other", stdin="other-value-123",
                    monkeypatch=monkeypatch) == 0  # fmt: skip
    assert keyvault("verify", "openai_other", monkeypatch=monkeypatch) == cli.EXIT_NOT_VALID
    assert keyvault("delete", "openai_other", monkeypatch=monkeypatch) == 0
    assert stored("openai_other") is None
    assert keyvault("set", "openai_api_key", stdin=" ", monkeypatch=monkeypatch) == cli.EXIT_USAGE


def test_export_and_completion_in_process(
    configured: ApiTarget,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for format in ("dotenv", "json", "yaml", "shell"):
        assert keyvault("export", "--format", format, monkeypatch=monkeypatch) == 0
        assert configured.values["openai_api_key"] in capsys.readouterr().out
    target = tmp_path / "out.env"
    assert keyvault("export", "-o", str(target), "--env", "K=openai_api_key",
                    monkeypatch=monkeypatch) == 0  # fmt: skip
    assert target.read_text() == f"K='{configured.values['openai_api_key']}'\n"
    assert keyvault("export", "-o", str(tmp_path / "no" / "f"), monkeypatch=monkeypatch) == (
        cli.EXIT_USAGE
    )
    for shell in ("bash", "zsh", "fish"):
        assert keyvault("completion", shell, monkeypatch=monkeypatch) == 0
        assert "rollback" in capsys.readouterr().out


def test_run_in_process(
    configured: ApiTarget,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-the-shell")
    show = [sys.executable, "-c", "import os; print(os.environ['OPENAI_API_KEY'])"]
    assert keyvault("run", "--", *show, monkeypatch=monkeypatch) == 0
    out, err = capfd.readouterr()
    assert out == "***\n" and "overriding OPENAI_API_KEY" in err
    assert keyvault("run", "--preserve-env", "--", *show, monkeypatch=monkeypatch) == 0
    assert capfd.readouterr().out == "from-the-shell\n"
    assert keyvault("run", "--command", "exit 3", monkeypatch=monkeypatch) == 3
    assert keyvault("run", monkeypatch=monkeypatch) == cli.EXIT_USAGE
    assert keyvault("run", "--", "no-such-command-kv", monkeypatch=monkeypatch) == (
        cli.EXIT_COMMAND_NOT_FOUND
    )
    fallback = str(tmp_path / "fallback.json")
    assert keyvault("run", "--fallback", fallback, "--", "true", monkeypatch=monkeypatch) == 0
    assert Path(fallback).exists()


def test_watch_in_process_ends_with_the_command(
    configured: ApiTarget, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    status = keyvault(
        "run", "--watch", "--watch-interval", "0.05", "--",
        sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(4)",
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert status == 4
