"""`manage.py verify_settings`: a table of outcomes, a failing exit when a key is invalid."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import CommandError, call_command

from settings_app.models import AuditAction, AuditEvent, Setting
from tests.conftest import run_manage
from tests.support.keys import sqlite_env
from tests.support.provider_server import ProviderServer, provider_server_fixture  # noqa: F401
from tests.support.unreadable_rows import raw_value, write_raw_value

GOOD = "sk-proj-GOOD-0123456789abcdef"
BAD = "sk-proj-BAD-fedcba9876543210"
RESTRICTED = "sk-ant-api03-RESTRICTED-0123456789"

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(provider_server: ProviderServer) -> dict[str, str]:
    """Three stored keys: one valid, one restricted, one the provider refuses."""
    provider_server.accept(GOOD)
    provider_server.accept(RESTRICTED, status=403)
    values = {"openai_api_key": GOOD, "anthropic_api_key": RESTRICTED, "old_openai_key": BAD}
    for key, value in values.items():
        provider = "anthropic" if key.startswith("anthropic") else "openai"
        Setting.objects.create(key=key, value=value, provider=provider)
    return values


def verify(*keys: str) -> str:
    out = io.StringIO()
    call_command("verify_settings", *keys, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_named_keys_are_verified_in_a_table(stored: dict[str, str]) -> None:
    output = verify("openai_api_key", "anthropic_api_key")

    assert output.splitlines() == [
        "KEY                PROVIDER   STATUS      DETAIL",
        "openai_api_key     openai     valid       HTTP 200: the provider accepted the key.",
        "anthropic_api_key  anthropic  restricted  "
        "HTTP 403: the key is valid but restricted (permission denied).",
    ]
    assert Setting.objects.get(key="old_openai_key").last_verified_at is None


def test_an_invalid_key_fails_the_command_and_is_named_last(
    stored: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 invalid key\(s\): old_openai_key\.$"):
        call_command("verify_settings", stdout=out)

    rows = {line.split()[0]: line.split()[2] for line in out.getvalue().splitlines()[1:]}
    assert rows == {
        "anthropic_api_key": "restricted",
        "old_openai_key": "invalid",
        "openai_api_key": "valid",
    }
    assert Setting.objects.get(key="old_openai_key").verification_status == "invalid"


def test_an_unknown_key_name_is_an_error_naming_it(stored: dict[str, str]) -> None:
    with pytest.raises(CommandError, match=r"No setting named 'nope', 'gone'\.") as raised:
        verify("openai_api_key", "nope", "gone")

    assert "openai_api_key" not in str(raised.value)
    assert Setting.objects.get(key="openai_api_key").last_verified_at is None


def test_no_settings_is_said_plainly() -> None:
    assert verify() == "No settings to verify.\n"


def test_plaintext_never_appears_in_output_or_logs(
    stored: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("verify_settings", stdout=out, stderr=err)

    shown = out.getvalue() + err.getvalue() + str(raised.value) + caplog.text
    for value in stored.values():
        assert value not in shown
        assert not [r for r in caplog.records if value in r.getMessage()]
    assert "openai_api_key" in caplog.text, "each verification is logged by key name"


@pytest.mark.slow
def test_manage_py_exits_non_zero_with_a_clear_last_line(tmp_path) -> None:
    env = sqlite_env(tmp_path / "db.sqlite3")
    create = (
        "from settings_app.models import Setting; "
        f"Setting.objects.create(key='openai_api_key', value={BAD!r}, provider='openai')"
    )
    assert run_manage("migrate", "-v0", env=env).returncode == 0
    assert run_manage("shell", "-c", create, env=env).returncode == 0

    with ProviderServer.running() as server:
        env["KEYVAULT_OPENAI_BASE_URL"] = server.base_url("openai")
        result = run_manage("verify_settings", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "CommandError: 1 invalid key(s): openai_api_key."
    )
    assert result.stdout.splitlines() == [
        "KEY             PROVIDER  STATUS   DETAIL",
        "openai_api_key  openai    invalid  HTTP 401: the provider rejected the key.",
    ]
    assert BAD not in result.stdout + result.stderr


def test_unreadable_rows_are_reported_on_stderr_and_the_rest_verified(
    stored: dict[str, str], settings, provider_server: ProviderServer
) -> None:
    broken = Setting.objects.get(key="old_openai_key")
    write_raw_value(broken, raw_value(broken)[:-6])
    also_broken = Setting.objects.create(key="legacy", value="x" * 20, provider="openai")
    write_raw_value(also_broken, "sk-proj-LEGACY-plaintext-0123456789")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match=r"^2 setting\(s\) cannot be decrypted: legacy, old_"):
        call_command("verify_settings", stdout=out, stderr=err)

    rows = {line.split()[0]: line.split()[2] for line in out.getvalue().splitlines()[1:]}
    assert rows == {"anthropic_api_key": "restricted", "openai_api_key": "valid"}
    assert err.getvalue().splitlines() == [
        "legacy cannot be decrypted (not encrypted). To migrate legacy plaintext: set "
        "KEYVAULT_SUPPORT_UNENCRYPTED_DATA=true, run `python manage.py reencrypt`, then turn "
        "the setting off again.",
        "old_openai_key cannot be decrypted (failed authentication). Restore the value from a "
        "backup, or enter it again.",
    ]
    assert len(provider_server.requests) == 2
    shown = out.getvalue() + err.getvalue()
    assert "$kv" not in shown and "LEGACY" not in shown
    audited = AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED)
    assert sorted(audited.values_list("setting_key", flat=True)) == ["legacy", "old_openai_key"]


def test_a_named_unreadable_row_fails_the_command(stored: dict[str, str]) -> None:
    broken = Setting.objects.get(key="old_openai_key")
    write_raw_value(broken, raw_value(broken)[:-6])
    err = io.StringIO()

    with pytest.raises(CommandError, match="cannot be decrypted: old_openai_key"):
        call_command("verify_settings", "old_openai_key", stdout=io.StringIO(), stderr=err)

    assert err.getvalue().startswith("old_openai_key cannot be decrypted (failed authentication)")
