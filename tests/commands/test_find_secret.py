"""manage.py find_secret: its output, reading the secret from stdin only, and its exit status.

Which settings match is specified in tests/versions/test_search.py.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from settings_app.models import Setting
from tests.support.raw_rows import set_raw

pytestmark = pytest.mark.django_db


def find(secret: str, monkeypatch: pytest.MonkeyPatch, err: io.StringIO | None = None) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(secret))
    out = io.StringIO()
    call_command("find_secret", stdout=out, stderr=err or io.StringIO())
    return out.getvalue()


def test_output(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-leaked-0001")
    Setting.objects.create(key="openai_backup", value="sk-proj-leaked-0001")
    unindexed = Setting.objects.create(key="other_key", value="sk-proj-innocent-02")
    set_raw("settings_app_setting", unindexed.pk, None, column="value_fingerprint")
    err = io.StringIO()
    out = find("  sk-proj-leaked-0001\n", monkeypatch, err)
    assert out.splitlines() == [
        "2 setting(s) hold this value:",
        "  openai_api_key",
        "  openai_backup",
    ]
    assert err.getvalue().splitlines() == [
        "Warning: 1 settings have no fingerprint yet; run `manage.py reencrypt` so that they "
        "can be searched."
    ]
    assert "leaked" not in out + err.getvalue()


def test_unknown_value_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="a", value="sk-proj-something-1")
    with pytest.raises(CommandError, match="No setting holds this value") as raised:
        find("sk-proj-nothing-here", monkeypatch)
    assert raised.value.returncode == 1


def test_empty_input_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="standard input"):
        find("   \n", monkeypatch)
