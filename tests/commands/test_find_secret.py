"""find_secret: answers from the blind index, reads the secret from stdin only."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from settings_app.models import Setting
from tests.keys import fake_key

pytestmark = pytest.mark.django_db


def find(secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(secret))
    out = io.StringIO()
    call_command("find_secret", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_lists_every_setting_holding_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-leaked-0001")
    Setting.objects.create(key="openai_backup", value="sk-proj-leaked-0001")
    Setting.objects.create(key="other_key", value="sk-proj-innocent-02")
    out = find("  sk-proj-leaked-0001\n", monkeypatch)
    assert "openai_api_key" in out and "openai_backup" in out and "other_key" not in out
    assert "leaked" not in out


def test_unknown_value_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="a", value="sk-proj-something-1")
    with pytest.raises(CommandError, match="No setting holds this value"):
        find("sk-proj-nothing-here", monkeypatch)


def test_does_not_decrypt_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="good", value="sk-proj-target-0001")
    Setting.objects.create(key="broken", value="sk-proj-other-00002")
    with connection.cursor() as cursor:  # an undecryptable row must not stop the search
        cursor.execute("UPDATE settings_app_setting SET value = 'garbage' WHERE key = 'broken'")
    assert "good" in find("sk-proj-target-0001", monkeypatch)


def test_matches_values_fingerprinted_under_a_fallback_key(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Setting.objects.create(key="old", value="sk-proj-before-rotate")
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-rotated")
    assert "old" in find("sk-proj-before-rotate", monkeypatch)


def test_empty_input_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="standard input"):
        find("   \n", monkeypatch)
